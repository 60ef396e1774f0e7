/**
 * The in-process worker factory: `createServiceWorker(name, deps)` builds the worker of one task queue
 * (its activities over that service's schema, plus the saga workflow on `orders`). The process entry points
 * (orders.ts, inventory.ts, ...) call it through run-worker.ts; integration tests call it directly to run
 * all four workers in one process against a test Temporal server and Postgres.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { createCoordinatorActivities } from '../activities/coordination/coordinator';
import { createParticipantActivities, type PartitionFault } from '../activities/coordination/participant';
import { createInventoryActivities } from '../activities/inventory';
import { partitionFromFile } from '../coordination/partition-hook';
import { RECOVERY_DEFAULTS, startRecoverySweep } from '../coordination/recovery';
import { PARTICIPANTS, type Participant } from '../domain/coordination';
import { createOrderActivities } from '../activities/orders';
import { createPaymentActivities } from '../activities/payments';
import { createShippingActivities } from '../activities/shipping';
import { activityInterceptors } from '../activities/failures';
import { createCarrierClient, type CarrierClient } from '../carrier/client';
import type { Config } from '../config';
import { projectionsSubscriber, startOutboxRelay } from '../eventstore';
import { BREAKER_STATE_VALUES, sagaMetricsSinks, type SagaMetrics } from '../metrics/saga-metrics';
import { createInventoryService } from '../services/inventory';
import { inventoryParticipant } from '../services/inventory/participant';
import { ordersParticipant } from '../services/orders/participant';
import { paymentsParticipant } from '../services/payments/participant';
import { createOrdersService } from '../services/orders';
import { ORDER_PROJECTIONS, ORDERS_SCHEMA } from '../services/orders/read-models';
import { createPaymentsService } from '../services/payments';
import { createShippingService } from '../services/shipping';
import { TASK_QUEUES, type ServiceName } from '../workflows/contracts';
import { startReactions } from './reactions';
import { createServiceBus, type ServiceBus, type ServiceBusOptions } from './service-bus';

export interface ServiceWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  pool: Pool;
  /**
   * orders, inventory, payments: the connections that finish prepared transactions (3PC pre-commit, phase
   * 2, the recovery sweep); default `pool`. A prepared transaction holds its row locks until it is finished,
   * and sessions waiting on those locks (other orders' steps, prepares, reactions) can take every connection
   * of `pool`; finishing it must never wait for one of them, or the worker deadlocks.
   */
  coordinationPool?: Pool;
  config: Pick<
    Config,
    'worker' | 'shippingCountries' | 'carrier' | 'relayPollIntervalMs' | 'threePcPartitionFile'
  >;
  metrics: SagaMetrics;
  logger?: Logger;
  /** shipping only: the process's carrier client (one breaker per dependency per process) */
  carrier?: CarrierClient;
  /** orders only: a prebuilt workflow bundle (tests bundle once per file) */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** start this schema's outbox relay (and, for orders, the read-model projections); default true */
  relay?: boolean;
  /**
   * orders, inventory, payments: the in-doubt recovery sweep over this participant's prepared transactions
   * (src/coordination/recovery.ts); default RECOVERY_DEFAULTS; false: off
   */
  recovery?: { intervalMs: number; presumeAbortAfterMs: number } | false;
  /** orders, inventory, payments: COORDINATION_PREPARE_LOCK_TIMEOUT_MS; default COORDINATION_DEFAULTS */
  prepareLockTimeoutMs?: number;
  /**
   * fault injection (tests, chaos): orders, inventory, payments are cut off from the coordinator on the
   * transactions this names, from their pre-commit on (PartitionFault in src/activities/coordination)
   */
  partition?: PartitionFault;
  /**
   * the bus: the relay also publishes to Kafka and the service's consumer groups run in this process
   * (src/workers/service-bus.ts); without it the events stay in the outbox (tests of other concerns)
   */
  bus?: ServiceBusOptions;
  /** per-worker option overrides (tests: shutdownGraceTime etc.) */
  workerOptions?: Partial<WorkerOptions>;
  /** with the bus: the reactions to choreographed orders (./reactions.ts) run in this worker too */
  choreography?: { topicPartitions?: number; schedulerPollMs?: number };
}

const isParticipant = (name: ServiceName): name is Participant =>
  (PARTICIPANTS as readonly string[]).includes(name);

export interface BuiltServiceWorker {
  worker: Worker;
  carrier?: CarrierClient;
  /** the bus wiring, when `bus` was given */
  bus?: ServiceBus;
  /** stops background work started with the worker (outbox relay, projections, bus consumers) */
  stopBackground: () => Promise<void>;
}

/** One carrier client per process whose breaker state is exported as a gauge. */
export function createMeteredCarrierClient(
  config: Pick<Config, 'carrier'>,
  metrics: SagaMetrics,
  opts: { failureThreshold?: number; halfOpenAfterMs?: number; logger?: Logger } = {},
): CarrierClient {
  metrics.breakerState.set({ dependency: 'carrier' }, BREAKER_STATE_VALUES.closed);
  return createCarrierClient({
    url: config.carrier.url,
    timeoutMs: config.carrier.timeoutMs,
    ...(opts.failureThreshold !== undefined ? { failureThreshold: opts.failureThreshold } : {}),
    ...(opts.halfOpenAfterMs !== undefined ? { halfOpenAfterMs: opts.halfOpenAfterMs } : {}),
    onStateChange: (state) => {
      metrics.breakerState.set({ dependency: 'carrier' }, BREAKER_STATE_VALUES[state]);
      metrics.breakerTransitions.inc({ dependency: 'carrier', state });
      opts.logger?.warn({ dependency: 'carrier', state }, 'circuit breaker state changed');
    },
  });
}

/**
 * A voting service's partition fault, when there is one: the one a test passes in (`deps.partition`), else
 * the file hook (THREE_PC_PARTITION_FILE, the chaos suite), which cuts the service off while the file names it.
 */
function partitionOf(deps: ServiceWorkerDeps, participant: Participant): { partition?: PartitionFault } {
  if (deps.partition) return { partition: deps.partition };
  const partitioned = partitionFromFile(deps.config.threePcPartitionFile, participant);
  return partitioned ? { partition: () => partitioned() } : {};
}

/** the recovery sweep skips the transactions the partition fault cuts off (only the timeout rule acts) */
function sweepCutOff(deps: ServiceWorkerDeps, participant: Participant) {
  const { partition } = partitionOf(deps, participant);
  return partition ? { cutOff: partition } : {};
}

/** a voting service's participant deps: its pools, and the partition test hook when configured */
function participantDeps(deps: ServiceWorkerDeps, participant: Participant) {
  return {
    pool: deps.pool,
    finishPool: deps.coordinationPool ?? deps.pool,
    participant,
    ...(deps.prepareLockTimeoutMs !== undefined && { prepareLockTimeoutMs: deps.prepareLockTimeoutMs }),
    ...partitionOf(deps, participant),
  };
}

function activitiesFor(name: ServiceName, deps: ServiceWorkerDeps, carrier: CarrierClient | undefined) {
  const { pool } = deps;
  switch (name) {
    case 'orders':
      return {
        ...createOrderActivities({ orders: createOrdersService({ pool }) }),
        ...createParticipantActivities({ ...participantDeps(deps, 'orders'), work: ordersParticipant(pool) }),
        ...createCoordinatorActivities({ pool }),
      };
    case 'inventory':
      return {
        ...createInventoryActivities({ inventory: createInventoryService({ pool }) }),
        ...createParticipantActivities({
          ...participantDeps(deps, 'inventory'),
          work: inventoryParticipant(pool),
        }),
      };
    case 'payments':
      return {
        ...createPaymentActivities({ payments: createPaymentsService({ pool }) }),
        ...createParticipantActivities({
          ...participantDeps(deps, 'payments'),
          work: paymentsParticipant(pool),
        }),
      };
    case 'shipping':
      if (!carrier) throw new Error('the shipping worker needs a carrier client');
      return createShippingActivities({
        shipping: createShippingService({ pool, supportedCountries: deps.config.shippingCountries, carrier }),
      });
  }
}

export async function createServiceWorker(
  name: ServiceName,
  deps: ServiceWorkerDeps,
): Promise<BuiltServiceWorker> {
  const carrier =
    name === 'shipping'
      ? (deps.carrier ?? createMeteredCarrierClient(deps.config, deps.metrics, { logger: deps.logger }))
      : undefined;
  const w = deps.config.worker;
  const common: WorkerOptions = {
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: TASK_QUEUES[name],
    activities: activitiesFor(name, deps, carrier),
    interceptors: { activity: activityInterceptors },
    maxConcurrentActivityTaskExecutions: w.maxConcurrentActivities,
    shutdownGraceTime: '10s',
    ...deps.workerOptions,
  };
  const options: WorkerOptions =
    name === 'orders'
      ? {
          ...common,
          ...(deps.workflowBundle
            ? { workflowBundle: deps.workflowBundle }
            : { workflowsPath: require.resolve('../workflows') }),
          sinks: sagaMetricsSinks(deps.metrics),
          maxConcurrentWorkflowTaskExecutions: w.maxConcurrentWorkflowTasks,
          maxCachedWorkflows: w.maxCachedWorkflows,
        }
      : common;
  const worker = await Worker.create(options);
  const log = deps.logger?.child({ component: 'choreography', service: name });
  const reactions = deps.bus
    ? await startReactions(name, {
        pool: deps.pool,
        brokers: deps.bus.brokers,
        ...(deps.choreography?.topicPartitions !== undefined && {
          topicPartitions: deps.choreography.topicPartitions,
        }),
        instance: `${deps.bus.processTag}-choreography`,
        ...(log
          ? { log }
          : { log: { info: () => undefined, warn: () => undefined, error: () => undefined } }),
        ...(carrier ? { carrier } : {}),
        supportedCountries: deps.config.shippingCountries,
        ...(deps.choreography?.schedulerPollMs !== undefined && {
          schedulerPollMs: deps.choreography.schedulerPollMs,
        }),
      })
    : undefined;
  // The schema's outbox relay: publishes this service's integration events; the orders relay also feeds
  // the order read models (projections). Leader-elected in Postgres, so several workers per queue are safe.
  const bus = deps.bus ? createServiceBus(name, deps.pool, deps.bus) : undefined;
  const relay =
    deps.relay === false
      ? undefined
      : startOutboxRelay({
          pool: deps.pool,
          schema: name,
          subscribers: [
            ...(name === 'orders' ? [projectionsSubscriber(ORDERS_SCHEMA, ORDER_PROJECTIONS)] : []),
            ...(bus ? [bus.subscriber] : []),
          ],
          pollIntervalMs: deps.config.relayPollIntervalMs,
          ...(deps.logger ? { log: deps.logger.child({ component: 'outbox-relay', schema: name }) } : {}),
        });
  const sweep =
    deps.recovery === false || !isParticipant(name)
      ? undefined
      : startRecoverySweep({
          pool: deps.coordinationPool ?? deps.pool,
          participant: name,
          ...(deps.recovery ?? RECOVERY_DEFAULTS),
          ...sweepCutOff(deps, name),
          onStatus: (st) => {
            deps.metrics.inDoubtTransactions.set({ participant: name }, st.count);
            deps.metrics.inDoubtOldestAge.set({ participant: name }, st.oldestAgeSeconds);
          },
          ...(deps.logger ? { log: deps.logger.child({ component: 'recovery-sweep' }) } : {}),
        });
  bus?.startConsumers();
  return {
    worker,
    ...(carrier ? { carrier } : {}),
    ...(bus ? { bus } : {}),
    stopBackground: async () => {
      await reactions?.stop();
      await relay?.stop();
      await sweep?.stop();
      await bus?.stop();
    },
  };
}
