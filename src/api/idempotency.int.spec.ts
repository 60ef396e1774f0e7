/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- supertest bodies are untyped JSON */
/**
 * Idempotency-Key on POST /orders against a real stack (test/support/api-stack.ts: Temporal dev server,
 * Postgres, the four workers running the real saga): a repeat replays the first answer, a different request
 * under the key is refused, a key in flight is 409 with Retry-After, keys belong to their customer, a burst
 * under one key makes one order, and Temporal or Postgres down is 503 with nothing started. The claim store
 * itself is driven with its own clock. One outcome per test; each describe acts once in `before`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Response } from 'supertest';
import request from 'supertest';
import {
  bearer,
  fresh,
  orderBody,
  placeOrder,
  RELAY_LAG_LIMIT_S,
  startApiStack,
  type ApiStack,
  type Customer,
} from '../../test/support/api-stack';
import { createPool } from '../db/pool';
import { createApp } from './app';
import { IdempotencyStore, requestFingerprint, type ClaimResult } from './idempotency';
import { createApiServices } from './wiring';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

describe('the same key sent twice with the same request, then with a different one', () => {
  let c: Customer;
  let first: Response;
  let again: Response;
  let different: Response;
  before(async () => {
    const item = await api.newItem();
    c = await api.newCustomer();
    const key = fresh('k');
    first = await placeOrder(api.fastApp, c, orderBody(item.sku), key);
    assert.equal(first.status, 202);
    again = await placeOrder(api.fastApp, c, orderBody(item.sku), key);
    different = await placeOrder(api.fastApp, c, orderBody(item.sku, 2), key);
  });

  it('the repeat answers the first response byte for byte: status, body, Location and Content-Type', () => {
    assert.equal(again.status, 202);
    assert.equal(again.text, first.text);
    assert.equal(again.headers.location, first.headers.location);
    assert.equal(again.status, first.status);
    assert.deepEqual(again.body, first.body);
    assert.match(first.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(again.headers['content-type'], first.headers['content-type']);
  });

  it('the repeat says it is a replay; the first answer does not', () => {
    assert.equal(first.headers['idempotent-replayed'], undefined);
    assert.equal(again.headers['idempotent-replayed'], 'true');
  });

  it('a different request under the key is 422', () => {
    assert.equal(different.status, 422);
  });

  it('one workflow and one key row are written', async () => {
    assert.equal(await api.workflowsOf(c.id), 1);
    assert.equal(await api.gatewayRows(c.id), 1);
  });
});

describe('a key whose first request is in flight (held at its Temporal start by a client interceptor)', () => {
  let c: Customer;
  let key: string;
  let second: Response;
  let other: Response;
  let rowWhileInFlight: { state: string }[];
  let answered: Response;
  let replay: Response;
  before(async () => {
    const item = await api.newItem();
    c = await api.newCustomer();
    key = fresh('k');
    let arrived!: () => void;
    const atStart = new Promise<void>((r) => (arrived = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = createApp({
      ...api.deps,
      temporal: new Client({
        connection: api.stack.env.client.connection,
        namespace: api.stack.env.namespace ?? 'default',
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
      config: { ...api.deps.config, cancellationWindowMs: 0 },
    });
    const first = placeOrder(held, c, orderBody(item.sku), key);
    try {
      // the first request has claimed the key and waits at the start of its workflow
      let reached = false;
      await Promise.race([atStart.then(() => (reached = true)), first]);
      assert.ok(reached, 'the first request reached its workflow start before it was answered');
      second = await placeOrder(api.fastApp, c, orderBody(item.sku), key);
      // another request under the key is refused as such, in flight or not
      other = await placeOrder(api.fastApp, c, orderBody(item.sku, 2), key);
      rowWhileInFlight = (
        await api.stack.pool.query<{ state: string }>(
          'SELECT state FROM gateway.idempotency_keys WHERE scope = $1 AND key = $2',
          [c.id, key],
        )
      ).rows;
    } finally {
      release();
    }
    answered = await first;
    assert.equal(answered.status, 202, answered.text);
    replay = await placeOrder(api.fastApp, c, orderBody(item.sku), key);
    await api.sagaEnd(answered.body.workflowId);
  });

  it('the same request again is 409 problem+json with Retry-After, not a replay', () => {
    assert.equal(second.status, 409, second.text);
    assert.match(second.headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.ok(Number(second.headers['retry-after']) > 0, `Retry-After: ${second.headers['retry-after']}`);
    assert.equal(second.body.status, 409);
    assert.match(second.body.type, /idempotency-key-in-use/);
    assert.equal(second.headers['idempotent-replayed'], undefined);
  });

  it('a different request under the key is 422', () => {
    assert.equal(other.status, 422, other.text);
  });

  it('the key is held in progress meanwhile', () => {
    assert.deepEqual(rowWhileInFlight, [{ state: 'in_progress' }]);
  });

  it('once the first is answered, the same request replays its answer', () => {
    assert.equal(replay.status, 202);
    assert.equal(replay.text, answered.text);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
  });

  it('one key row and one workflow are written', async () => {
    assert.equal(await api.gatewayRows(c.id), 1);
    assert.equal(await api.workflowsOf(c.id), 1);
  });

  it('the customer is charged once', async () => {
    const account = await request(api.app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 100_000 - 1250);
  });
});

describe('one Idempotency-Key from two customers (alice orders 1 unit, bob 2)', () => {
  let alice: Customer;
  let bob: Customer;
  let a: Response;
  let b: Response;
  let aAgain: Response;
  let bAgain: Response;
  let crossed: Response;
  before(async () => {
    const item = await api.newItem();
    alice = await api.newCustomer();
    bob = await api.newCustomer();
    const key = fresh('shared');
    a = await placeOrder(api.fastApp, alice, orderBody(item.sku, 1), key);
    assert.equal(a.status, 202, a.text);
    b = await placeOrder(api.fastApp, bob, orderBody(item.sku, 2), key);
    assert.equal(b.status, 202, b.text);
    aAgain = await placeOrder(api.fastApp, alice, orderBody(item.sku, 1), key);
    bAgain = await placeOrder(api.fastApp, bob, orderBody(item.sku, 2), key);
    // alice's request sent by bob under the key
    crossed = await placeOrder(api.fastApp, bob, orderBody(item.sku, 1), key);
    await Promise.all([api.sagaEnd(a.body.workflowId), api.sagaEnd(b.body.workflowId)]);
  });

  it('another request under the same key is no mismatch for bob: his keys are his own, a new order', () => {
    assert.equal(b.status, 202, b.text);
    assert.equal(b.headers['idempotent-replayed'], undefined);
    assert.notEqual(b.body.orderId, a.body.orderId);
  });

  it('each customer’s repeat replays their own answer', () => {
    assert.equal(aAgain.text, a.text);
    assert.equal(bAgain.text, b.text);
    assert.equal(aAgain.headers['idempotent-replayed'], 'true');
    assert.equal(bAgain.headers['idempotent-replayed'], 'true');
  });

  it('alice’s request sent by bob is compared with bob’s request (422), not answered with alice’s order', () => {
    assert.equal(crossed.status, 422, crossed.text);
    assert.doesNotMatch(crossed.text, new RegExp(a.body.orderId));
  });

  it('each order is its own customer’s, with their own items', async () => {
    const aOrder = await request(api.app)
      .get(`/orders/${a.body.orderId}`)
      .set(bearer(alice.token))
      .expect(200);
    assert.equal(aOrder.body.customerId, alice.id);
    assert.deepEqual(
      aOrder.body.items.map((l: { quantity: number }) => l.quantity),
      [1],
    );
    const bOrder = await request(api.app).get(`/orders/${b.body.orderId}`).set(bearer(bob.token)).expect(200);
    assert.equal(bOrder.body.customerId, bob.id);
    assert.deepEqual(
      bOrder.body.items.map((l: { quantity: number }) => l.quantity),
      [2],
    );
  });

  it('bob cannot read alice’s order: 404', async () => {
    await request(api.app).get(`/orders/${a.body.orderId}`).set(bearer(bob.token)).expect(404);
  });

  it('one key row and one workflow per customer', async () => {
    assert.equal(await api.gatewayRows(alice.id), 1);
    assert.equal(await api.gatewayRows(bob.id), 1);
    assert.equal(await api.workflowsOf(alice.id), 1);
    assert.equal((await api.stack.env.client.workflow.count(`CustomerId = "${bob.id}"`)).count, 1);
  });

  it('each customer is charged for their own order', async () => {
    const balances = await Promise.all(
      [alice, bob].map((x) => request(api.app).get(`/accounts/${x.id}`).set(bearer(x.token)).expect(200)),
    );
    assert.deepEqual(
      balances.map((r) => r.body.balance),
      [100_000 - 1250, 100_000 - 2500],
    );
  });
});

describe('20 concurrent identical requests under one key', () => {
  let c: Customer;
  let answers: Response[];
  let accepted: Response[];
  before(async () => {
    const item = await api.newItem();
    c = await api.newCustomer();
    const key = fresh('k');
    answers = await Promise.all(
      Array.from({ length: 20 }, () => placeOrder(api.fastApp, c, orderBody(item.sku), key)),
    );
    accepted = answers.filter((a) => a.status === 202);
    assert.ok(accepted.length >= 1);
    await api.sagaEnd(accepted[0]!.body.workflowId);
  });

  it('every answer is that one order (202, the same answer) or 409', () => {
    assert.ok(accepted.length >= 1);
    assert.ok(
      answers.every((a) => a.status === 202 || a.status === 409),
      answers.map((a) => a.status).join(),
    );
    assert.equal(new Set(accepted.map((a) => a.text)).size, 1);
  });

  it('one workflow is started', async () => {
    assert.equal(await api.workflowsOf(c.id), 1);
  });

  it('the customer is charged once', async () => {
    const account = await request(api.app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 100_000 - 1250);
  });
});

describe('while Temporal is down, then the retry with the same key once it is back', () => {
  let c: Customer;
  let failed: Response;
  let startedWhileDown: number;
  let health: Response;
  let retried: Response;
  let replay: Response;
  let deadConnection: Connection;
  before(async () => {
    const item = await api.newItem();
    c = await api.newCustomer();
    deadConnection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: '1s' });
    const down = createApp({
      ...api.deps,
      temporal: new Client({ connection: deadConnection }),
      config: { ...api.deps.config, temporalDeadlineMs: 1500 },
    });
    const key = fresh('k');
    failed = await placeOrder(down, c, orderBody(item.sku), key);
    startedWhileDown = (await api.stack.env.client.workflow.count(`CustomerId = "${c.id}"`)).count;
    health = await request(down).get('/health');
    retried = await placeOrder(api.fastApp, c, orderBody(item.sku), key);
    replay = await placeOrder(api.fastApp, c, orderBody(item.sku), key);
  });
  after(async () => {
    await deadConnection?.close().catch(() => undefined);
  });

  it('POST /orders is 503 with Retry-After', () => {
    assert.equal(failed.status, 503, failed.text);
    assert.ok(Number(failed.headers['retry-after']) > 0);
  });

  it('nothing is started', () => {
    assert.equal(startedWhileDown, 0);
  });

  it('/health is 503 naming temporal', () => {
    assert.equal(health.status, 503);
    assert.deepEqual(health.body.failing, ['temporal']);
  });

  it('the retry with the same key is accepted, and its repeat replays it', () => {
    assert.equal(retried.status, 202, retried.text);
    assert.equal(replay.text, retried.text);
  });

  it('exactly one workflow is started', async () => {
    assert.equal(await api.workflowsOf(c.id), 1);
  });
});

describe('the claim store on its own clock: a claim abandoned by a crashed request, and key expiry', () => {
  const claim = {
    scope: fresh('cust'),
    key: fresh('k'),
    fingerprint: requestFingerprint('POST', '/orders', { a: 1 }),
    method: 'POST',
    path: '/orders',
    requestId: 'r1',
  };
  const seen: Record<string, ClaimResult> = {};
  before(async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const store = new IdempotencyStore(api.stack.pool, () => now);
    seen.first = await store.claim(claim);
    now = new Date(now.getTime() + 10_000);
    seen.locked = await store.claim(claim);
    seen.mismatch = await store.claim({ ...claim, fingerprint: 'other' });
    now = new Date(now.getTime() + 25_000);
    seen.takenOver = await store.claim(claim);
    await store.complete(claim.scope, claim.key, { status: 202, headers: {}, body: Buffer.from('{"x":1}') });
    seen.replay = await store.claim(claim);
    now = new Date(now.getTime() + 24 * 3600_000 + 1000);
    seen.renewed = await store.claim(claim);
  });
  const resourceOf = (r: ClaimResult | undefined) => (r?.kind === 'claimed' ? r.resourceId : '');

  it('the first claim is claimed', () => {
    assert.equal(seen.first?.kind, 'claimed');
  });

  it('while its lock holds, the same request is in flight and another is a mismatch', () => {
    assert.equal(seen.locked?.kind, 'in_flight');
    assert.equal(seen.mismatch?.kind, 'mismatch');
  });

  it('after its lock expired, it is taken over with the same order id', () => {
    assert.deepEqual(seen.takenOver, {
      kind: 'claimed',
      resourceId: resourceOf(seen.first),
      takenOver: true,
    });
  });

  it('once completed, a claim replays the stored answer', () => {
    const replay = seen.replay;
    assert.equal(replay?.kind === 'replay' && replay.response.body.toString(), '{"x":1}');
  });

  it('24 h later the key has expired: a new claim with a new order id', () => {
    assert.equal(seen.renewed?.kind, 'claimed');
    assert.notEqual(resourceOf(seen.renewed), resourceOf(seen.takenOver));
  });
});

describe('while Postgres is down', () => {
  let res: Response;
  before(async () => {
    const deadPool = createPool('postgres://nobody:x@127.0.0.1:9/none', { max: 1 });
    const down = createApp({
      ...api.deps,
      pool: deadPool,
      services: createApiServices({ pool: deadPool, relayLagLimitS: RELAY_LAG_LIMIT_S }),
    });
    const c = await api.newCustomer(0);
    res = await placeOrder(down, c, orderBody('SKU-ANY'));
    await deadPool.end().catch(() => undefined);
  });

  it('POST /orders is 503 with Retry-After', () => {
    assert.equal(res.status, 503, res.text);
    assert.ok(res.headers['retry-after']);
  });

  it('the answer names no internals', () => {
    assert.doesNotMatch(res.text, /ECONNREFUSED|postgres|SELECT|at .*\.ts/);
  });
});
