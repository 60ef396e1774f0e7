/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- supertest bodies are untyped JSON */
/**
 * The gateway against a real stack, shared by the API's integration specs (src/api/*.int.spec.ts): a
 * Temporal dev server, Postgres with every migration, and the four service workers running the real saga
 * (test/saga/harness.ts), with createApp on it twice: `app` with a 60 s cancellation window (orders wait,
 * cancellable) and `fastApp` with none (orders complete at once). The workers' metrics are served on a
 * loopback port next to one that is not there. Requests go through supertest to createApp; the helpers read
 * state back from Postgres and Temporal. Every helper makes fresh customers and SKUs.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import pino from 'pino';
import request from 'supertest';
import { createApp, type AppDeps } from '../../src/api/app';
import { mintToken } from '../../src/api/tokens';
import { createApiServices } from '../../src/api/wiring';
import { fresh, startSagaStack, type SagaStack } from '../saga/harness';
import { eventually } from './eventually';

export { fresh } from '../saga/harness';

export const RELAY_LAG_LIMIT_S = 60;
export const SECRET = 'integration-test-secret-0123456789abcdef';
export const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '1 Analytical Way',
  city: 'London',
  postalCode: 'N1 1AA',
  country: 'GB',
};

export type App = ReturnType<typeof createApp>;
export interface Customer {
  id: string;
  token: string;
}

export const token = (sub: string, role: 'customer' | 'admin' = 'customer', ttlSeconds = 600) =>
  mintToken(SECRET, { sub, role, ttlSeconds });
export const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
export const orderBody = (sku: string, quantity = 1) => ({
  items: [{ sku, quantity }],
  shippingAddress: ADDRESS,
});

export function placeOrder(on: App, customer: { token: string }, body: unknown, key = fresh('k')) {
  return request(on)
    .post('/orders')
    .set(bearer(customer.token))
    .set('Idempotency-Key', key)
    .send(body as object);
}

export async function startApiStack(opts: { bus?: boolean } = {}) {
  const stack: SagaStack = await startSagaStack(opts);
  const workerMetrics = createServer((_req, res) => {
    void stack.registry.metrics().then((text) => res.end(text));
  });
  await new Promise<void>((r) => workerMetrics.listen(0, '127.0.0.1', r));
  const port = (workerMetrics.address() as { port: number }).port;
  const deps: AppDeps = {
    pool: stack.pool,
    temporal: stack.env.client,
    services: createApiServices({
      pool: stack.pool,
      relayLagLimitS: RELAY_LAG_LIMIT_S,
      ...(stack.kafka && { kafkaBrokers: stack.kafka.brokers }),
    }),
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
    config: {
      jwtSecret: SECRET,
      cancellationWindowMs: 60_000,
      // one live worker and one that is not there: /metrics must still answer
      workerMetricsUrls: [`http://127.0.0.1:${port}/metrics`, 'http://127.0.0.1:9/metrics'],
      probeTimeoutMs: 1000,
    },
  };
  const app: App = createApp(deps); // cancellation window 60 s: orders wait, cancellable
  const fastApp: App = createApp({ ...deps, config: { ...deps.config, cancellationWindowMs: 0 } }); // none
  // the gateway of a deployment with BUS_ENABLED=false (the workers of a stack without `bus` have none either)
  const busOffApp: App = createApp({
    ...deps,
    config: { ...deps.config, cancellationWindowMs: 0, busEnabled: false },
  });
  const admin = await token('admin-1', 'admin');

  async function newItem(
    opts: { price?: number; stock?: number } = {},
  ): Promise<{ sku: string; price: number }> {
    const sku = fresh('SKU');
    const price = opts.price ?? 1250;
    await request(app)
      .put(`/inventory/${sku}`)
      .set(bearer(admin))
      .send({ name: `Item ${sku}`, price })
      .expect(201);
    if (opts.stock ?? 100) {
      await request(app)
        .post(`/inventory/${sku}/restock`)
        .set(bearer(admin))
        .set('Idempotency-Key', fresh('restock'))
        .send({ quantity: opts.stock ?? 100 })
        .expect(200);
    }
    return { sku, price };
  }

  async function newCustomer(balance = 100_000): Promise<Customer> {
    const id = fresh('cust');
    if (balance) {
      await request(app)
        .post(`/accounts/${id}/deposits`)
        .set(bearer(admin))
        .set('Idempotency-Key', fresh('dep'))
        .send({ amount: balance })
        .expect(201);
    }
    return { id, token: await token(id) };
  }

  /**
   * Waits until Temporal lists a workflow started now, after everything the test did before. Temporal writes
   * its visibility store asynchronously, from a task queue it reads in the order the tasks were written (the
   * dev server has one shard): once a workflow started now is listed, the workflows started before it are
   * listed too. The marker runs nowhere (no worker polls its task queue) and is terminated.
   */
  async function visibilityCaughtUp(): Promise<void> {
    const client = stack.env.client;
    const workflowId = fresh('visibility-marker');
    const handle = await client.workflow.start('visibilityMarker', {
      taskQueue: 'visibility-marker',
      workflowId,
    });
    await eventually(
      async () => assert.equal((await client.workflow.count(`WorkflowId = "${workflowId}"`)).count, 1),
      { what: 'the visibility marker listed', intervalMs: 100 },
    );
    await handle.terminate('visibility marker');
  }

  /**
   * How many workflows Temporal lists for the customer once the system has finished: the caller has had every
   * request answered, so every workflow they started has been started; a marker started after that is listed
   * after them.
   */
  async function workflowsOf(customerId: string): Promise<number> {
    await visibilityCaughtUp();
    return (await stack.env.client.workflow.count(`CustomerId = "${customerId}"`)).count;
  }

  async function waitForSagaState(on: App, t: string, orderId: string, states: string[]) {
    return eventually(
      async () => {
        const res = await request(on).get(`/orders/${orderId}`).set(bearer(t));
        assert.equal(res.status, 200, res.text);
        assert.ok(states.includes(res.body.sagaState), `sagaState ${res.body.sagaState}`);
        return res.body;
      },
      { what: `order ${orderId} in ${states.join('/')}`, intervalMs: 100 },
    );
  }

  /** The saga's end, awaited by push (the workflow result), bounded so a stuck saga fails the test. */
  async function sagaEnd(workflowId: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      stack.env.client.workflow.getHandle(workflowId).result(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${workflowId} did not finish within 60 s`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** The order's row in GET /orders for the token's caller, once the read model lists it (with `query`). */
  async function listed(t: string, orderId: string, query: Record<string, string> = {}) {
    return eventually(
      async () => {
        const res = await request(app).get('/orders').query(query).set(bearer(t)).expect(200);
        const found = res.body.items.find((o: { orderId: string }) => o.orderId === orderId);
        assert.ok(found, `${orderId} not listed with ${JSON.stringify(query)}`);
        return found;
      },
      { what: `order ${orderId} listed`, intervalMs: 100 },
    );
  }

  const gatewayRows = async (scope: string) =>
    (
      await stack.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM gateway.idempotency_keys WHERE scope = $1',
        [scope],
      )
    ).rows[0]!.n;

  return {
    stack,
    deps,
    app,
    fastApp,
    busOffApp,
    admin,
    newItem,
    newCustomer,
    workflowsOf,
    waitForSagaState,
    sagaEnd,
    listed,
    gatewayRows,
    async stop() {
      await new Promise((r) => workerMetrics.close(r));
      await stack.stop();
    },
  };
}

export type ApiStack = Awaited<ReturnType<typeof startApiStack>>;
