/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- supertest bodies are untyped JSON */
/**
 * The gateway against a real stack: a Temporal dev server, Postgres with every migration, and the four
 * service workers running the real saga (test/saga/harness.ts). Requests go through supertest to
 * createApp; state is read back from Postgres and Temporal. Every test uses fresh customers and SKUs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import pino from 'pino';
import request from 'supertest';
import { createPool } from '../db/pool';
import { eventually } from '../../test/support/eventually';
import { fresh, startSagaStack, type SagaStack } from '../../test/saga/harness';
import { createApp, type AppDeps } from './app';
import { IdempotencyStore, requestFingerprint } from './idempotency';
import { openApiDocument } from './openapi';
import { mintToken } from './tokens';
import { createApiServices } from './wiring';

const RELAY_LAG_LIMIT_S = 60;

const SECRET = 'integration-test-secret-0123456789abcdef';
const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '1 Analytical Way',
  city: 'London',
  postalCode: 'N1 1AA',
  country: 'GB',
};

let stack: SagaStack;
let deps: AppDeps;
let app: ReturnType<typeof createApp>; // cancellation window 60 s: orders wait, cancellable
let fastApp: ReturnType<typeof createApp>; // no window: orders complete at once
let workerMetrics: Server;
let admin: string;

const token = (sub: string, role: 'customer' | 'admin' = 'customer', ttlSeconds = 600) =>
  mintToken(SECRET, { sub, role, ttlSeconds });
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

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

async function newCustomer(balance = 100_000): Promise<{ id: string; token: string }> {
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

const orderBody = (sku: string, quantity = 1) => ({ items: [{ sku, quantity }], shippingAddress: ADDRESS });

async function placeOrder(on: typeof app, customer: { token: string }, body: unknown, key = fresh('k')) {
  return request(on)
    .post('/orders')
    .set(bearer(customer.token))
    .set('Idempotency-Key', key)
    .send(body as object);
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

async function waitForSagaState(on: typeof app, t: string, orderId: string, states: string[]) {
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

/** true when nothing listens on 127.0.0.1:port any more */
const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

const gatewayRows = async (scope: string) =>
  (
    await stack.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM gateway.idempotency_keys WHERE scope = $1',
      [scope],
    )
  ).rows[0]!.n;

before(async () => {
  stack = await startSagaStack();
  workerMetrics = createServer((_req, res) => {
    void stack.registry.metrics().then((text) => res.end(text));
  });
  await new Promise<void>((r) => workerMetrics.listen(0, '127.0.0.1', r));
  const port = (workerMetrics.address() as { port: number }).port;
  deps = {
    pool: stack.pool,
    temporal: stack.env.client,
    services: createApiServices({ pool: stack.pool, relayLagLimitS: RELAY_LAG_LIMIT_S }),
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
    config: {
      jwtSecret: SECRET,
      cancellationWindowMs: 60_000,
      // one live worker and one that is not there: /metrics must still answer
      workerMetricsUrls: [`http://127.0.0.1:${port}/metrics`, 'http://127.0.0.1:9/metrics'],
      probeTimeoutMs: 1000,
    },
  };
  app = createApp(deps);
  fastApp = createApp({ ...deps, config: { ...deps.config, cancellationWindowMs: 0 } });
  admin = await token('admin-1', 'admin');
});

after(async () => {
  await new Promise((r) => workerMetrics?.close(r));
  await stack?.stop();
});

describe('authentication and authorisation', () => {
  it('answers 401 problem+json for a missing, malformed, badly signed, expired or unsigned token', async () => {
    const other = await mintToken(`${SECRET}-other`, { sub: 'c', role: 'admin' });
    const expired = await mintToken(SECRET, {
      sub: 'c',
      role: 'admin',
      now: new Date(Date.now() - 7200_000),
    });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'c', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url')}.`;
    for (const auth of [
      undefined,
      'Basic abc',
      'Bearer',
      `Bearer ${other}`,
      `Bearer ${expired}`,
      `Bearer ${none}`,
    ]) {
      const req = request(app).get('/inventory/SKU-1');
      const res = await (auth ? req.set('Authorization', auth) : req);
      assert.equal(res.status, 401, String(auth));
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
      assert.equal(res.body.status, 401);
      assert.ok(res.body.type && res.body.title && res.body.detail);
    }
  });

  it('admin-only routes answer 403 to a customer', async () => {
    const c = await newCustomer(0);
    await request(app).put('/inventory/SKU-X').set(bearer(c.token)).send({ name: 'x', price: 1 }).expect(403);
    await request(app)
      .post(`/accounts/${c.id}/deposits`)
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ amount: 100 })
      .expect(403);
    await request(app)
      .post('/inventory/SKU-X/restock')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ quantity: 1 })
      .expect(403);
  });

  it('health, metrics and the OpenAPI document need no token', async () => {
    const health = await request(app).get('/health').expect(200);
    assert.equal(health.body.status, 'ok');
    for (const name of ['postgres', 'temporal', 'eventStore', 'relay', 'projections']) {
      assert.equal(health.body.checks[name]?.ok, true, name);
    }
    const doc = await request(app).get('/openapi.json').expect(200);
    assert.deepEqual(doc.body, openApiDocument());
  });
});

describe('inventory and accounts', () => {
  it('PUT creates (201) then updates (200) a catalog entry; restock adds stock once per key; unknown SKU → 404', async () => {
    const sku = fresh('SKU');
    const created = await request(app)
      .put(`/inventory/${sku}`)
      .set(bearer(admin))
      .send({ name: 'Mug', price: 999 });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { sku, name: 'Mug', price: 999, available: 0, reserved: 0 });
    const updated = await request(app)
      .put(`/inventory/${sku}`)
      .set(bearer(admin))
      .send({ name: 'Mug', price: 1099 });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.price, 1099);

    const key = fresh('restock');
    const first = await request(app)
      .post(`/inventory/${sku}/restock`)
      .set(bearer(admin))
      .set('Idempotency-Key', key)
      .send({ quantity: 7 })
      .expect(200);
    const again = await request(app)
      .post(`/inventory/${sku}/restock`)
      .set(bearer(admin))
      .set('Idempotency-Key', key)
      .send({ quantity: 7 })
      .expect(200);
    assert.equal(again.text, first.text);
    const c = await newCustomer(0);
    const read = await request(app).get(`/inventory/${sku}`).set(bearer(c.token)).expect(200);
    assert.deepEqual(read.body, { sku, name: 'Mug', price: 1099, available: 7, reserved: 0 });

    await request(app)
      .get(`/inventory/${fresh('NOPE')}`)
      .set(bearer(c.token))
      .expect(404);
    await request(app)
      .post(`/inventory/${fresh('NOPE')}/restock`)
      .set(bearer(admin))
      .set('Idempotency-Key', fresh('k'))
      .send({ quantity: 1 })
      .expect(404);
  });

  it('deposits (201) show in the balance, the events and the balance as of a past instant; other customers read 404', async () => {
    const c = await newCustomer(0);
    const before = new Date().toISOString();
    // the deposit is recorded after `before`: the clock has moved past it (same clock, finer than ms)
    await eventually(() => assert.ok(Date.now() > Date.parse(before)), { intervalMs: 1 });
    const dep = await request(app)
      .post(`/accounts/${c.id}/deposits`)
      .set(bearer(admin))
      .set('Idempotency-Key', fresh('dep'))
      .send({ amount: 5000 });
    assert.equal(dep.status, 201);
    assert.deepEqual(dep.body, { customerId: c.id, balance: 5000, version: 1 });

    const now = await request(app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.deepEqual(now.body, { customerId: c.id, balance: 5000, currency: 'USD', version: 1 });
    const past = await request(app)
      .get(`/accounts/${c.id}`)
      .query({ asOf: before })
      .set(bearer(c.token))
      .expect(200);
    assert.equal(past.body.balance, 0);
    const events = await request(app).get(`/accounts/${c.id}/events`).set(bearer(c.token)).expect(200);
    assert.deepEqual(
      events.body.items.map((e: { version: number }) => e.version),
      [1],
    );

    const other = await newCustomer(0);
    await request(app).get(`/accounts/${c.id}`).set(bearer(other.token)).expect(404);
    await request(app).get(`/accounts/${c.id}/events`).set(bearer(other.token)).expect(404);
    await request(app).get(`/accounts/${c.id}`).query({ asOf: 'yesterday' }).set(bearer(c.token)).expect(400);
    await request(app)
      .get(`/accounts/${c.id}`)
      .query({ asOf: '0000-01-01T00:00:00Z' })
      .set(bearer(c.token))
      .expect(400);
  });
});

describe('orders', () => {
  it('POST /orders → 202 with Location; a GET right after finds it, priced from the catalog; it completes with a 1..n audit trail', async () => {
    const item = await newItem({ price: 1999 });
    const c = await newCustomer();
    const requestId = fresh('req');
    const res = await request(fastApp)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .set('X-Request-Id', requestId)
      .send(orderBody(item.sku, 3));
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers['x-request-id'], requestId);
    const { orderId, workflowId, status } = res.body;
    assert.equal(status, 'PENDING');
    assert.equal(workflowId, `order-${orderId}`);
    assert.equal(res.headers.location, `/orders/${orderId}`);

    const read = await request(fastApp).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
    assert.equal(read.body.customerId, c.id);
    assert.deepEqual(read.body.items, [{ sku: item.sku, quantity: 3, unitPrice: 1999, lineTotal: 5997 }]);
    assert.equal(read.body.total, 5997);
    assert.deepEqual(read.body.shippingAddress, ADDRESS);

    await sagaEnd(workflowId);
    const description = await stack.env.client.workflow.getHandle(workflowId).describe();
    assert.equal((description.memo as { requestId?: string }).requestId, requestId);

    const done = await request(fastApp).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
    assert.equal(done.body.status, 'COMPLETED');
    assert.equal(done.body.sagaState, 'COMPLETED');

    const events = await request(fastApp).get(`/orders/${orderId}/events`).set(bearer(c.token)).expect(200);
    const versions = events.body.items.map((e: { version: number }) => e.version);
    assert.ok(versions.length >= 2);
    assert.deepEqual(
      versions,
      versions.map((_: number, i: number) => i + 1),
    );
    // the request id travels from HTTP into the saga and onto every event of the order, in every service
    const meta = await stack.pool.query<{ request_id: string | null; correlation_id: string | null }>(
      `SELECT metadata->>'requestId' AS request_id, metadata->>'correlationId' AS correlation_id
         FROM orders.events WHERE stream_id = $1 ORDER BY version`,
      [workflowId],
    );
    assert.equal(meta.rows.length, versions.length);
    assert.ok(
      meta.rows.every((r) => r.correlation_id === orderId && r.request_id === requestId),
      JSON.stringify(meta.rows),
    );
    for (const schema of ['inventory', 'payments', 'shipping']) {
      const other = await stack.pool.query<{ request_id: string | null }>(
        `SELECT metadata->>'requestId' AS request_id FROM ${schema}.events WHERE metadata->>'correlationId' = $1`,
        [orderId],
      );
      assert.ok(other.rows.length > 0, `${schema} wrote events for the order`);
      assert.ok(
        other.rows.every((r) => r.request_id === requestId),
        `${schema}: ${JSON.stringify(other.rows)}`,
      );
    }
    const account = await request(app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 100_000 - 5997);

    // the list (read model, fed by the projections) shows it, newest first, with a working cursor
    const second = await placeOrder(fastApp, c, orderBody(item.sku));
    assert.equal(second.status, 202);
    await sagaEnd(second.body.workflowId);
    const row = await listed(c.token, orderId, { status: 'COMPLETED' });
    assert.equal(row?.total, 5997);
    assert.ok(await listed(c.token, second.body.orderId));
    const page1 = await request(app).get('/orders').query({ limit: '1' }).set(bearer(c.token)).expect(200);
    assert.equal(page1.body.items[0].orderId, second.body.orderId);
    assert.ok(page1.body.nextCursor);
    const page2 = await request(app)
      .get('/orders')
      .query({ limit: '1', cursor: page1.body.nextCursor })
      .set(bearer(c.token))
      .expect(200);
    assert.equal(page2.body.items[0].orderId, orderId);
    const byAdmin = await request(app)
      .get('/orders')
      .query({ customerId: c.id })
      .set(bearer(admin))
      .expect(200);
    assert.equal(byAdmin.body.items.length, 2);
    await request(app).get('/orders').query({ limit: '0' }).set(bearer(c.token)).expect(400);
    await request(app).get('/orders').query({ limit: '101' }).set(bearer(c.token)).expect(400);
    await request(app).get('/orders').query({ cursor: 'garbage' }).set(bearer(c.token)).expect(400);
    const forged = Buffer.from(JSON.stringify(['1', "x' OR 1=1"])).toString('base64url');
    await request(app).get('/orders').query({ cursor: forged }).set(bearer(c.token)).expect(400);
    await request(app).get('/orders').query({ status: 'SHIPPED' }).set(bearer(c.token)).expect(400);
  });

  it('a customer can neither read, list, follow nor cancel another customer’s order (404), nor order for them (403)', async () => {
    const item = await newItem();
    const alice = await newCustomer();
    const mallory = await newCustomer();
    const placed = await placeOrder(app, alice, orderBody(item.sku));
    assert.equal(placed.status, 202, placed.text);
    const { orderId } = placed.body;
    await request(app).get(`/orders/${orderId}`).set(bearer(mallory.token)).expect(404);
    await request(app).get(`/orders/${orderId}/events`).set(bearer(mallory.token)).expect(404);
    await request(app)
      .post(`/orders/${orderId}/cancel`)
      .set(bearer(mallory.token))
      .set('Idempotency-Key', fresh('k'))
      .expect(404);
    // the list is read from the read model: first wait until it lists the order for its owner (and an
    // admin), so that its absence from mallory's list is the tenant filter, not a projection not yet caught up
    assert.equal((await listed(alice.token, orderId)).customerId, alice.id);
    assert.equal((await listed(admin, orderId, { customerId: alice.id })).customerId, alice.id);
    const mallorys = await request(app).get('/orders').set(bearer(mallory.token)).expect(200);
    assert.ok(!mallorys.body.items.some((o: { orderId: string }) => o.orderId === orderId));
    await request(app).get('/orders').query({ customerId: alice.id }).set(bearer(mallory.token)).expect(403);
    const forAlice = await placeOrder(app, mallory, { ...orderBody(item.sku), customerId: alice.id });
    assert.equal(forAlice.status, 403);
    // the owner and an admin still can; and the order is still running (not cancelled by mallory)
    const mine = await request(app).get(`/orders/${orderId}`).set(bearer(alice.token)).expect(200);
    assert.notEqual(mine.body.status, 'CANCELLED');
    await request(app).get(`/orders/${orderId}`).set(bearer(admin)).expect(200);
    await request(app)
      .get(`/orders/${fresh('x')}`)
      .set(bearer(alice.token))
      .expect(400);
    await request(app)
      .get('/orders/00000000-0000-4000-8000-000000000000')
      .set(bearer(alice.token))
      .expect(404);
    // clean up: cancel it so the worker has nothing waiting
    await request(app)
      .post(`/orders/${orderId}/cancel`)
      .set(bearer(alice.token))
      .set('Idempotency-Key', fresh('k'));
  });

  it('cancel inside the window → 202 and the order ends CANCELLED with the money back; cancel after it completed → 409', async () => {
    const item = await newItem({ price: 500 });
    const c = await newCustomer(10_000);
    const placed = await placeOrder(app, c, orderBody(item.sku, 2));
    assert.equal(placed.status, 202, placed.text);
    const { orderId, workflowId } = placed.body;
    await waitForSagaState(app, c.token, orderId, ['PAYMENT_COMPLETED']);
    const cancel = await request(app)
      .post(`/orders/${orderId}/cancel`)
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ reason: 'changed my mind' });
    assert.equal(cancel.status, 202, cancel.text);
    assert.equal(cancel.body.orderId, orderId);
    await sagaEnd(workflowId);
    const final = await request(app).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
    assert.equal(final.body.status, 'CANCELLED');
    const account = await request(app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 10_000);

    const done = await placeOrder(fastApp, c, orderBody(item.sku));
    await sagaEnd(done.body.workflowId);
    const late = await request(app)
      .post(`/orders/${done.body.orderId}/cancel`)
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'));
    assert.equal(late.status, 409, late.text);
    assert.match(late.headers['content-type'] ?? '', /problem\+json/);
  });
});

describe('idempotency', () => {
  it('the same key and request answer the first response byte for byte; a different request under the key → 422, nothing written', async () => {
    const item = await newItem();
    const c = await newCustomer();
    const key = fresh('k');
    const first = await placeOrder(fastApp, c, orderBody(item.sku), key);
    assert.equal(first.status, 202);
    const again = await placeOrder(fastApp, c, orderBody(item.sku), key);
    assert.equal(again.status, 202);
    assert.equal(again.text, first.text);
    assert.equal(again.headers.location, first.headers.location);
    // a replay: the same status, body and Content-Type, and it says it is one (the first answer does not)
    assert.equal(again.status, first.status);
    assert.deepEqual(again.body, first.body);
    assert.match(first.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(again.headers['content-type'], first.headers['content-type']);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    assert.equal(again.headers['idempotent-replayed'], 'true');

    const different = await placeOrder(fastApp, c, orderBody(item.sku, 2), key);
    assert.equal(different.status, 422);
    assert.equal(await workflowsOf(c.id), 1);
    assert.equal(await gatewayRows(c.id), 1);
  });

  it('while the first request with a key is in flight, the same key → 409 problem+json with Retry-After; then it replays the first answer (the first request held at its Temporal start by a client interceptor)', async () => {
    const item = await newItem();
    const c = await newCustomer();
    const key = fresh('k');
    let arrived!: () => void;
    const atStart = new Promise<void>((r) => (arrived = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = createApp({
      ...deps,
      temporal: new Client({
        connection: stack.env.client.connection,
        namespace: stack.env.namespace ?? 'default',
        interceptors: {
          workflow: [
            {
              async startWithDetails(input, next) {
                arrived();
                await gate;
                return next(input);
              },
            },
          ],
        },
      }),
      config: { ...deps.config, cancellationWindowMs: 0 },
    });
    const first = placeOrder(held, c, orderBody(item.sku), key);
    try {
      // the first request has claimed the key and waits at the start of its workflow
      let reached = false;
      await Promise.race([atStart.then(() => (reached = true)), first]);
      assert.ok(reached, 'the first request reached its workflow start before it was answered');
      const second = await placeOrder(fastApp, c, orderBody(item.sku), key);
      assert.equal(second.status, 409, second.text);
      assert.match(second.headers['content-type'] ?? '', /^application\/problem\+json/);
      assert.ok(Number(second.headers['retry-after']) > 0, `Retry-After: ${second.headers['retry-after']}`);
      assert.equal(second.body.status, 409);
      assert.match(second.body.type, /idempotency-key-in-use/);
      assert.equal(second.headers['idempotent-replayed'], undefined);
      // another request under the key is refused as such, in flight or not
      const other = await placeOrder(fastApp, c, orderBody(item.sku, 2), key);
      assert.equal(other.status, 422, other.text);
      const row = await stack.pool.query<{ state: string }>(
        'SELECT state FROM gateway.idempotency_keys WHERE scope = $1 AND key = $2',
        [c.id, key],
      );
      assert.deepEqual(row.rows, [{ state: 'in_progress' }]);
    } finally {
      release();
    }
    const answered = await first;
    assert.equal(answered.status, 202, answered.text);
    const replay = await placeOrder(fastApp, c, orderBody(item.sku), key);
    assert.equal(replay.status, 202);
    assert.equal(replay.text, answered.text);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    await sagaEnd(answered.body.workflowId);
    assert.equal(await gatewayRows(c.id), 1);
    assert.equal(await workflowsOf(c.id), 1);
    const account = await request(app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 100_000 - 1250);
  });

  it('one Idempotency-Key from two customers gives two independent orders, each replayed to its own customer', async () => {
    const item = await newItem();
    const alice = await newCustomer();
    const bob = await newCustomer();
    const key = fresh('shared');
    const a = await placeOrder(fastApp, alice, orderBody(item.sku, 1), key);
    assert.equal(a.status, 202, a.text);
    // another request under the same key is no mismatch for bob: his keys are his own
    const b = await placeOrder(fastApp, bob, orderBody(item.sku, 2), key);
    assert.equal(b.status, 202, b.text);
    assert.equal(b.headers['idempotent-replayed'], undefined);
    assert.notEqual(b.body.orderId, a.body.orderId);
    const aAgain = await placeOrder(fastApp, alice, orderBody(item.sku, 1), key);
    const bAgain = await placeOrder(fastApp, bob, orderBody(item.sku, 2), key);
    assert.equal(aAgain.text, a.text);
    assert.equal(bAgain.text, b.text);
    assert.equal(aAgain.headers['idempotent-replayed'], 'true');
    assert.equal(bAgain.headers['idempotent-replayed'], 'true');
    // alice's request sent by bob under the key is compared with bob's request, not answered with alice's order
    const crossed = await placeOrder(fastApp, bob, orderBody(item.sku, 1), key);
    assert.equal(crossed.status, 422, crossed.text);
    assert.doesNotMatch(crossed.text, new RegExp(a.body.orderId));

    await Promise.all([sagaEnd(a.body.workflowId), sagaEnd(b.body.workflowId)]);
    const aOrder = await request(app).get(`/orders/${a.body.orderId}`).set(bearer(alice.token)).expect(200);
    assert.equal(aOrder.body.customerId, alice.id);
    assert.deepEqual(
      aOrder.body.items.map((l: { quantity: number }) => l.quantity),
      [1],
    );
    const bOrder = await request(app).get(`/orders/${b.body.orderId}`).set(bearer(bob.token)).expect(200);
    assert.equal(bOrder.body.customerId, bob.id);
    assert.deepEqual(
      bOrder.body.items.map((l: { quantity: number }) => l.quantity),
      [2],
    );
    await request(app).get(`/orders/${a.body.orderId}`).set(bearer(bob.token)).expect(404);
    assert.equal(await gatewayRows(alice.id), 1);
    assert.equal(await gatewayRows(bob.id), 1);
    assert.equal(await workflowsOf(alice.id), 1);
    assert.equal((await stack.env.client.workflow.count(`CustomerId = "${bob.id}"`)).count, 1);
    const balances = await Promise.all(
      [alice, bob].map((x) => request(app).get(`/accounts/${x.id}`).set(bearer(x.token)).expect(200)),
    );
    assert.deepEqual(
      balances.map((r) => r.body.balance),
      [100_000 - 1250, 100_000 - 2500],
    );
  });

  it('20 concurrent identical requests → one order and one workflow; every answer is that order or 409', async () => {
    const item = await newItem();
    const c = await newCustomer();
    const key = fresh('k');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => placeOrder(fastApp, c, orderBody(item.sku), key)),
    );
    const accepted = answers.filter((a) => a.status === 202);
    assert.ok(accepted.length >= 1);
    assert.ok(
      answers.every((a) => a.status === 202 || a.status === 409),
      answers.map((a) => a.status).join(),
    );
    assert.equal(new Set(accepted.map((a) => a.text)).size, 1);
    assert.equal(await workflowsOf(c.id), 1);
    await sagaEnd(accepted[0]!.body.workflowId);
    const account = await request(app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 100_000 - 1250);
  });

  it('while Temporal is down: 503 + Retry-After and nothing started; the retry with the same key succeeds exactly once', async () => {
    const item = await newItem();
    const c = await newCustomer();
    const deadConnection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: '1s' });
    const down = createApp({
      ...deps,
      temporal: new Client({ connection: deadConnection }),
      config: { ...deps.config, temporalDeadlineMs: 1500 },
    });
    const key = fresh('k');
    const failed = await placeOrder(down, c, orderBody(item.sku), key);
    assert.equal(failed.status, 503, failed.text);
    assert.ok(Number(failed.headers['retry-after']) > 0);
    assert.equal((await stack.env.client.workflow.count(`CustomerId = "${c.id}"`)).count, 0);
    const health = await request(down).get('/health').expect(503);
    assert.deepEqual(health.body.failing, ['temporal']);

    const retried = await placeOrder(fastApp, c, orderBody(item.sku), key);
    assert.equal(retried.status, 202, retried.text);
    const replay = await placeOrder(fastApp, c, orderBody(item.sku), key);
    assert.equal(replay.text, retried.text);
    assert.equal(await workflowsOf(c.id), 1);
    await deadConnection.close().catch(() => undefined);
  });

  it('a claim abandoned by a crashed request is taken over after its lock expires, with the same order id; keys expire after 24 h', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const store = new IdempotencyStore(stack.pool, () => now);
    const claim = {
      scope: fresh('cust'),
      key: fresh('k'),
      fingerprint: requestFingerprint('POST', '/orders', { a: 1 }),
      method: 'POST',
      path: '/orders',
      requestId: 'r1',
    };
    const first = await store.claim(claim);
    assert.equal(first.kind, 'claimed');
    now = new Date(now.getTime() + 10_000);
    assert.equal((await store.claim(claim)).kind, 'in_flight');
    assert.equal((await store.claim({ ...claim, fingerprint: 'other' })).kind, 'mismatch');
    now = new Date(now.getTime() + 25_000);
    const second = await store.claim(claim);
    assert.deepEqual(second, {
      kind: 'claimed',
      resourceId: first.kind === 'claimed' ? first.resourceId : '',
      takenOver: true,
    });
    await store.complete(claim.scope, claim.key, { status: 202, headers: {}, body: Buffer.from('{"x":1}') });
    const replay = await store.claim(claim);
    assert.equal(replay.kind === 'replay' && replay.response.body.toString(), '{"x":1}');
    now = new Date(now.getTime() + 24 * 3600_000 + 1000);
    const renewed = await store.claim(claim);
    assert.equal(renewed.kind, 'claimed');
    assert.notEqual(
      renewed.kind === 'claimed' && renewed.resourceId,
      second.kind === 'claimed' && second.resourceId,
    );
  });

  it('while Postgres is down: 503 + Retry-After', async () => {
    const deadPool = createPool('postgres://nobody:x@127.0.0.1:9/none', { max: 1 });
    const down = createApp({
      ...deps,
      pool: deadPool,
      services: createApiServices({ pool: deadPool, relayLagLimitS: RELAY_LAG_LIMIT_S }),
    });
    const c = await newCustomer(0);
    const res = await placeOrder(down, c, orderBody('SKU-ANY'));
    assert.equal(res.status, 503, res.text);
    assert.ok(res.headers['retry-after']);
    assert.doesNotMatch(res.text, /ECONNREFUSED|postgres|SELECT|at .*\.ts/);
    await deadPool.end().catch(() => undefined);
  });
});

describe('request validation', () => {
  it('answers 415, 413, 400 (malformed, unknown and prototype fields, bad Idempotency-Key) and 422 (unknown SKU) with nothing written', async () => {
    const item = await newItem();
    const c = await newCustomer();
    const post = () => request(app).post('/orders').set(bearer(c.token)).set('Idempotency-Key', fresh('k'));
    const cases: [string, () => request.Test, number][] = [
      ['text/plain', () => post().set('Content-Type', 'text/plain').send('hello'), 415],
      ['form', () => post().type('form').send('a=1'), 415],
      ['too large', () => post().send({ ...orderBody(item.sku), pad: 'x'.repeat(110_000) }), 413],
      ['malformed', () => post().set('Content-Type', 'application/json').send('{"items": ['), 400],
      ['unknown field', () => post().send({ ...orderBody(item.sku), discount: 50 }), 400],
      [
        '__proto__',
        () => post().set('Content-Type', 'application/json').send(`{"__proto__":{"admin":true},"items":[]}`),
        400,
      ],
      ['constructor', () => post().send({ ...orderBody(item.sku), constructor: { prototype: 1 } }), 400],
      ['quantity 0', () => post().send(orderBody(item.sku, 0)), 400],
      ['no key', () => request(app).post('/orders').set(bearer(c.token)).send(orderBody(item.sku)), 400],
      [
        'bad key',
        () =>
          request(app)
            .post('/orders')
            .set(bearer(c.token))
            .set('Idempotency-Key', 'a b')
            .send(orderBody(item.sku)),
        400,
      ],
      ['unknown SKU', () => post().send(orderBody(fresh('NOPE'))), 422],
      [
        'nested 40000 deep',
        () =>
          post()
            .set('Content-Type', 'application/json')
            .send(`${'['.repeat(4e4)}${']'.repeat(4e4)}`),
        400,
      ],
      ['bad percent-encoding', () => request(app).get('/orders/%E0%A4%A').set(bearer(c.token)), 400],
      [
        'bad country',
        () => post().send({ ...orderBody(item.sku), shippingAddress: { ...ADDRESS, country: 'XX' } }),
        400,
      ],
    ];
    for (const [name, send, status] of cases) {
      const res = await send();
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/, name);
      assert.equal(res.body.status, status);
    }
    const invalid = await post().send({
      ...orderBody(item.sku),
      items: [{ sku: item.sku, quantity: 'one' }],
    });
    assert.deepEqual(invalid.body.errors, [
      { path: 'items.0.quantity', message: invalid.body.errors[0].message },
    ]);
    assert.equal(await gatewayRows(c.id), 0);
    assert.equal(await workflowsOf(c.id), 0);
  });

  it('property: random malformed bodies and headers never get a 5xx, and no rejected request writes a row or starts a workflow', async () => {
    const item = await newItem();
    const c = await newCustomer();
    const valid = orderBody(item.sku);
    const printable = fc.string({ minLength: 0, maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
    const corruptions = fc.oneof(
      fc.jsonValue().map((v) => ({ body: JSON.stringify(v) })),
      fc.string().map((s) => ({ body: s })),
      fc
        .record({
          k: fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'customerId'),
          v: fc.jsonValue(),
        })
        .map(({ k, v }) => ({
          body: JSON.stringify(valid).replace(/^\{/, `{${JSON.stringify(k)}:${JSON.stringify(v)},`),
        })),
      fc
        .oneof(
          fc.integer({ min: -1e6, max: 0 }),
          fc.integer({ min: 1001, max: Number.MAX_SAFE_INTEGER }),
          fc.double({ noInteger: true }),
          fc.constant(1e308),
          fc.string(),
          fc.constant(null),
        )
        .map((quantity) => ({ body: JSON.stringify({ ...valid, items: [{ sku: item.sku, quantity }] }) })),
      fc
        .array(fc.constant({ sku: item.sku, quantity: 1 }), { minLength: 2, maxLength: 120 })
        .map((items) => ({
          body: JSON.stringify({ ...valid, items }),
        })),
      fc.string().map((sku) => ({ body: JSON.stringify({ ...valid, items: [{ sku, quantity: 1 }] }) })),
      fc.record({ contentType: printable }).map(({ contentType }) => ({
        body: JSON.stringify(valid),
        contentType: contentType.includes('json') ? 'text/plain' : contentType || 'text/plain',
      })),
      printable.map((key) => ({ body: JSON.stringify(valid), key: key === '' ? '' : `k/${key}` })),
      printable.map((auth) => ({ body: JSON.stringify(valid), auth })),
    );
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        corruptions,
        async (input: { body: string; contentType?: string; key?: string; auth?: string }) => {
          let req = request(app)
            .post('/orders')
            .set('Authorization', input.auth ?? `Bearer ${c.token}`)
            .set('Content-Type', input.contentType ?? 'application/json');
          if (input.key !== '') req = req.set('Idempotency-Key', input.key ?? fresh('k'));
          const res = await req.send(input.body);
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          assert.ok(
            res.status >= 400 && res.status < 500,
            `${res.status} for ${JSON.stringify(input).slice(0, 300)}`,
          );
        },
      ),
      { numRuns: 150 },
    );
    assert.equal(await gatewayRows(c.id), 0);
    assert.equal(await workflowsOf(c.id), 0);
    const stock = await request(app).get(`/inventory/${item.sku}`).set(bearer(c.token)).expect(200);
    assert.equal(stock.body.reserved, 0);
  });
});

describe('request validation: paths', () => {
  it('property: random path parameters never get a 5xx', async () => {
    const c = await newCustomer(0);
    const segment = fc
      .string({ minLength: 1, maxLength: 80, unit: 'binary' })
      .map((s) => s.replace(/[^\x21-\x7e]|[#?/]/g, ''))
      .filter((s) => s.length > 0);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/orders/', '/accounts/', '/inventory/'),
        segment,
        fc.constantFrom('', '/events', '/cancel', '/restock', '/deposits'),
        async (prefix, id, suffix) => {
          const url = `${prefix}${id}${suffix}`;
          const isPost = suffix === '/cancel' || suffix === '/restock' || suffix === '/deposits';
          const method = isPost ? 'post' : 'get';
          const res = isPost
            ? await request(app)
                .post(url)
                .set(bearer(c.token))
                .set('Idempotency-Key', fresh('k'))
                .set('Content-Type', 'application/json')
                .send('{}')
            : await request(app).get(url).set(bearer(c.token));
          assert.ok(
            res.status < 500,
            `${res.status} for ${method.toUpperCase()} ${url}: ${res.text.slice(0, 200)}`,
          );
        },
      ),
      { numRuns: 100 },
    );
    assert.equal(await gatewayRows(c.id), 0);
  });
});

describe('observability', () => {
  it('/metrics has request counts and latency by route and status, plus the workers’ saga metrics; a missing worker does not fail it', async () => {
    await request(app).get('/health');
    const res = await request(app).get('/metrics').expect(200);
    assert.match(res.text, /http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    assert.match(res.text, /http_request_duration_seconds_bucket\{[^}]*route="\/orders"/);
    assert.match(res.text, /http_requests_total\{method="POST",route="\/orders",status="415"\} \d+/);
    assert.match(res.text, /source="127\.0\.0\.1:\d+"/);
    assert.match(res.text, /gateway_worker_metrics_scrapes_total\{source="127\.0\.0\.1:9",outcome="error"\}/);
  });
});

describe('server (composition root)', () => {
  it('starts from the environment alone; on SIGTERM it finishes the request in flight, closes its pools and exits 0', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const scrapeArrived = new Promise<void>((r) => (arrived = r));
    const slowWorker = createServer((_req, res) => {
      arrived();
      void held.then(() => res.end('# TYPE slow_total counter\nslow_total 1\n'));
    });
    await new Promise<void>((r) => slowWorker.listen(0, '127.0.0.1', r));
    const freePort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'server.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: stack.pg.url,
        TEMPORAL_ADDRESS: stack.env.address,
        AUTH_JWT_SECRET: SECRET,
        HOST: '127.0.0.1',
        PORT: String(freePort),
        WORKER_METRICS_URLS: `http://127.0.0.1:${(slowWorker.address() as { port: number }).port}/metrics`,
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const base = `http://127.0.0.1:${freePort}`;
      await eventually(
        async () => {
          const health = await fetch(`${base}/health`);
          assert.equal(health.status, 200, 'the server answered /health 200');
        },
        { what: 'the server up and healthy', intervalMs: 200 },
      );
      const inFlight = fetch(`${base}/metrics`);
      await scrapeArrived; // the request is inside the server, waiting for the worker
      child.kill('SIGTERM');
      // the server handled the signal: it no longer accepts connections, with the request still in flight
      await eventually(async () => assert.ok(await refusesConnections(freePort), 'still listening'), {
        what: 'the listener closed by SIGTERM',
      });
      release();
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.match(await res.text(), /slow_total\{source="127\.0\.0\.1:\d+"\} 1/);
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      release();
      await new Promise((r) => slowWorker.close(r));
    }
  });
});
