/**
 * One saga test stack per test file: a real Temporal dev server, a real Postgres with every migration, the
 * simulated carrier, and the four service workers running in this process (the shipping worker's carrier
 * client has a fast breaker). Helpers seed stock and money with fresh ids and read state back from the
 * services, so every test acts on its own records.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startCarrierServer, type CarrierServer } from '../../src/carrier/app';
import type { CarrierClient } from '../../src/carrier/client';
import { loadConfig } from '../../src/config';
import { createPool, type Pool } from '../../src/db/pool';
import { createMetricsRegistry, createSagaMetrics, type SagaMetrics } from '../../src/metrics/saga-metrics';
import type { RunningPostgres } from '../../src/platform/postgres';
import { createInventoryService } from '../../src/services/inventory';
import { createOrdersService } from '../../src/services/orders';
import { createPaymentsService } from '../../src/services/payments';
import { createShippingService } from '../../src/services/shipping';
import {
  createMeteredCarrierClient,
  createServiceWorker,
  type BuiltServiceWorker,
  type ServiceWorkerDeps,
} from '../../src/workers/service-worker';
import type { orderSaga } from '../../src/workflows';
import {
  orderSagaStartOptions,
  sagaStateQuery,
  type OrderSagaInput,
  type SagaTuning,
  type ServiceName,
} from '../../src/workflows/contracts';
import { stepTypes } from '../replay/histories';
import { startTestPostgres, startTestTemporal } from '../support/stack';
import { startTestKafka, type TestKafka } from '../support/kafka';
import { ensureTopics } from '../../src/bus/admin';
import { EVENT_TOPICS } from '../../src/bus/topics';
import { quietSdkRuntime, workflowBundle } from './bundle';
import { SERVICES } from '../../src/domain/ids';
import type { Registry } from 'prom-client';

export const TEST_TUNING: SagaTuning = {
  retryInitialIntervalMs: 100,
  retryMaximumIntervalMs: 500,
  // generous: on a loaded machine one attempt can take seconds, and a budget that expires while a booking
  // is landing leaves a dispatched parcel whose undo is refused (the saga then parks, visibly)
  shipmentBudgetMs: 60_000,
  compensationMaxAttempts: 5,
};

export const UNDO_ACTIVITIES = ['cancelShipment', 'refundPayment', 'releaseStock', 'rejectOrder'];

export interface SagaStack {
  env: TestWorkflowEnvironment;
  pg: RunningPostgres;
  pool: Pool;
  carrier: CarrierServer;
  carrierClient: CarrierClient;
  registry: Registry;
  metrics: SagaMetrics;
  workers: Map<ServiceName, BuiltServiceWorker>;
  /** the real broker, when started with `bus: true` (the relays publish to it, the consumers read it) */
  kafka: TestKafka | undefined;
  services: {
    orders: ReturnType<typeof createOrdersService>;
    inventory: ReturnType<typeof createInventoryService>;
    payments: ReturnType<typeof createPaymentsService>;
    shipping: ReturnType<typeof createShippingService>;
  };
  /** stop the in-process worker of one queue (e.g. to run it as a child process instead) */
  stopWorker(name: ServiceName): Promise<void>;
  /** start the in-process worker of one queue again (after stopWorker) */
  startWorker(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

/** Topic partitions of a test stack's bus: more than one, so per-key order is what is tested. */
export const TEST_PARTITIONS = 3;

export async function startSagaStack(
  opts: {
    inProcess?: ServiceName[];
    bus?: boolean;
    /** the in-process workers' recovery sweep and partition fault (2PC/3PC specs) */
    workers?: Pick<ServiceWorkerDeps, 'recovery' | 'partition'>;
  } = {},
): Promise<SagaStack> {
  quietSdkRuntime();
  const [env, pg, carrier, bundle, kafka] = await Promise.all([
    startTestTemporal(),
    startTestPostgres(),
    startCarrierServer({}),
    workflowBundle(),
    opts.bus ? startTestKafka({ partitions: TEST_PARTITIONS }) : undefined,
  ]);
  if (kafka)
    await ensureTopics({ brokers: kafka.brokers, topics: EVENT_TOPICS, partitions: TEST_PARTITIONS });
  const pool = createPool(pg.url, { max: 20 });
  const config = loadConfig({ CARRIER_URL: carrier.url, CARRIER_TIMEOUT_MS: '3000' });
  const registry = createMetricsRegistry({ service: 'test' });
  const metrics = createSagaMetrics(registry);
  const carrierClient = createMeteredCarrierClient(config, metrics, {
    failureThreshold: 3,
    halfOpenAfterMs: 500,
  });
  const workers = new Map<ServiceName, BuiltServiceWorker>();
  const running = new Map<ServiceName, Promise<void>>();
  const startWorker = async (name: ServiceName) => {
    if (workers.has(name)) return;
    const built = await createServiceWorker(name, {
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      pool,
      config,
      metrics,
      carrier: carrierClient,
      workflowBundle: bundle,
      workerOptions: { shutdownGraceTime: '1s' },
      ...opts.workers,
      ...(kafka && {
        bus: {
          brokers: kafka.brokers,
          consumersPerGroup: 2,
          processTag: 'test',
          registry,
          consumerOptions: { sessionTimeoutMs: 6000 },
        },
      }),
    });
    workers.set(name, built);
    running.set(name, built.worker.run());
  };
  for (const name of opts.inProcess ?? SERVICES) {
    await startWorker(name);
  }
  const stopWorker = async (name: ServiceName) => {
    const w = workers.get(name);
    if (!w) return;
    if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await running.get(name);
    await w.stopBackground();
    workers.delete(name);
  };
  return {
    env,
    pg,
    pool,
    carrier,
    carrierClient,
    registry,
    metrics,
    workers,
    kafka,
    services: {
      orders: createOrdersService({ pool }),
      inventory: createInventoryService({ pool }),
      payments: createPaymentsService({ pool }),
      shipping: createShippingService({ pool, supportedCountries: config.shippingCountries }),
    },
    stopWorker,
    startWorker,
    async stop() {
      for (const name of [...workers.keys()]) await stopWorker(name).catch(() => undefined);
      await pool.end().catch(() => undefined);
      await carrier.close().catch(() => undefined);
      await env.teardown().catch(() => undefined);
      await pg.stop().catch(() => undefined);
      await kafka?.dispose().catch(() => undefined);
    },
  };
}

export const fresh = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A new SKU with `stock` units at `price` cents, and a customer with `balance` cents. */
export async function seed(
  stack: SagaStack,
  opts: { stock: number; price?: number; balance: number },
): Promise<{ sku: string; customerId: string; price: number }> {
  const sku = fresh('SKU');
  const customerId = fresh('cust');
  const price = opts.price ?? 1250;
  await stack.services.inventory.upsertItem({ sku, name: `Test item ${sku}`, price });
  if (opts.stock > 0)
    await stack.services.inventory.restock({ sku, quantity: opts.stock, restockId: fresh('restock') });
  if (opts.balance > 0) {
    await stack.services.payments.deposit({ customerId, amount: opts.balance, depositId: fresh('dep') });
  }
  return { sku, customerId, price };
}

export function orderInput(
  o: { sku: string; customerId: string; price: number },
  extra: Partial<OrderSagaInput> & { quantity?: number; country?: string } = {},
): OrderSagaInput {
  const quantity = extra.quantity ?? 1;
  const { quantity: _q, country, ...rest } = extra;
  return {
    orderId: fresh('ord'),
    customerId: o.customerId,
    lines: [{ sku: o.sku, quantity, unitPrice: o.price }],
    total: quantity * o.price,
    currency: 'USD',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '1 Analytical Way',
      city: 'London',
      postalCode: 'N1 1AA',
      country: country ?? 'GB',
    },
    placedAt: new Date().toISOString(),
    cancellationWindowMs: 0,
    tuning: TEST_TUNING,
    ...rest,
  };
}

export async function startSaga(
  stack: SagaStack,
  input: OrderSagaInput,
): Promise<WorkflowHandle<typeof orderSaga>> {
  return stack.env.client.workflow.start<typeof orderSaga>('orderSaga', orderSagaStartOptions(input));
}

/** Activity types in the order the saga ran them (activities and local activities), from its history. */
export async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  return stepTypes(await handle.fetchHistory());
}

export async function stockOf(stack: SagaStack, sku: string) {
  const item = await stack.services.inventory.getItem(sku);
  if (!item) throw new Error(`no item ${sku}`);
  return { available: item.available, reserved: item.reserved, shipped: item.shipped };
}

export async function balanceOf(stack: SagaStack, customerId: string): Promise<number> {
  return (await stack.services.payments.getAccount(customerId)).balance;
}

export async function orderStatusAttribute(handle: WorkflowHandle): Promise<unknown> {
  const d = await handle.describe();
  return d.searchAttributes['OrderStatus']?.[0];
}

export { within } from '../support/within';

/** The saga states of open handles, for timeout messages. */
export async function statesOf(handles: WorkflowHandle<typeof orderSaga>[]): Promise<string> {
  const states = await Promise.all(
    handles.map((h) =>
      h
        .query(sagaStateQuery)
        .then(
          (v) =>
            `${v.orderId}:${v.state}${v.blocked ? `(${v.blocked.compensation}: ${v.blocked.error})` : ''}`,
        )
        .catch(() => '?'),
    ),
  );
  return states.filter((x) => !/COMPLETED|FAILED|CANCELLED/.test(x)).join(', ');
}

export interface WriteHold {
  /** statements waiting on the held table right now (a positive marker that a writer reached it) */
  waiters(): Promise<number>;
  /** lets the waiting writes go on (idempotent) */
  release(): Promise<void>;
}

/**
 * A barrier in Postgres: holds every write to `table` (LOCK TABLE … IN EXCLUSIVE MODE in an open transaction;
 * reads go on) until `release()`. A service step that writes there stops at its INSERT, so the saga stays in
 * the state it is in, and `waiters()` shows that the step has really started.
 */
export async function holdWrites(pool: Pool, table: `${ServiceName}.events`): Promise<WriteHold> {
  const client = await pool.connect();
  let released = false;
  try {
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  } catch (err) {
    client.release();
    throw err;
  }
  return {
    async waiters() {
      const { rows } = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted',
        [table],
      );
      return rows[0]?.n ?? 0;
    },
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    },
  };
}

/** The pending attempt of activity `name` as the server sees it (undefined when none is pending). */
export async function pendingActivity(
  handle: WorkflowHandle,
  name: string,
): Promise<{ started: boolean; attempt: number; workerIdentity: string } | undefined> {
  const { raw } = await handle.describe();
  const p = (raw.pendingActivities ?? []).find((a) => a.activityType?.name === name);
  if (!p) return undefined;
  return {
    started: p.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    attempt: p.attempt ?? 0,
    workerIdentity: p.lastWorkerIdentity ?? '',
  };
}

/** How activity `name` ended in the history: the attempt that ran last, on which worker, and the outcome. */
export async function activityOutcome(
  handle: WorkflowHandle,
  name: string,
): Promise<{ attempt: number; workerIdentity: string; completed: boolean } | undefined> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
  if (!scheduled?.eventId) return undefined;
  const id = String(scheduled.eventId);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
  if (!started) return undefined;
  return {
    attempt: started.activityTaskStartedEventAttributes?.attempt ?? 0,
    workerIdentity: started.activityTaskStartedEventAttributes?.identity ?? '',
    completed: events.some((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id),
  };
}
