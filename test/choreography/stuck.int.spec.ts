/**
 * A choreographed order that makes no progress past its step deadline plus the grace is stuck, and an
 * operator sees it in /health (the `choreography` check: count and oldest age), in /metrics (`orders_stuck`)
 * and in `GET /orders?status=STUCK`; once the service that should move it runs again, it moves and is no
 * longer stuck. Real Temporal, Postgres, Kafka and carrier; the orders service's worker (its reactions,
 * scheduled messages and relay) is stopped to make the order stuck, nothing is stubbed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { ADDRESS, bearer, placeOrder, startApiStack, type ApiStack, type App } from '../support/api-stack';
import { eventually } from '../support/eventually';

const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED'];

interface HealthBody {
  checks: { choreography: { ok: boolean; stuck: number; oldestStuckAgeSeconds: number } };
}

describe('stuck choreographed orders (real Temporal, Postgres, Kafka, carrier)', { timeout: 600_000 }, () => {
  let api: ApiStack;
  let app: App;

  before(async () => {
    api = await startApiStack({ bus: true });
    // a 2 s step deadline and no grace: an order the orders service does not move for 2 s is stuck
    app = createApp({
      ...api.deps,
      config: {
        ...api.deps.config,
        cancellationWindowMs: 0,
        choreography: { stepDeadlineMs: 2000, stuckGraceMs: 0 },
      },
    });
  });
  after(async () => {
    await api?.stop();
  });

  const choreographed = (sku: string) => ({
    items: [{ sku, quantity: 1 }],
    shippingAddress: ADDRESS,
    coordination: 'choreography',
  });

  async function ended(t: string, orderId: string) {
    return eventually(
      async () => {
        const res = await request(app).get(`/orders/${orderId}`).set(bearer(t)).expect(200);
        const body = res.body as { status: string; sagaState: string };
        assert.ok(ENDED.includes(body.sagaState), `sagaState ${body.sagaState}`);
        return body;
      },
      { timeoutMs: 180_000, intervalMs: 200, what: `order ${orderId} ended` },
    );
  }

  const health = async () => {
    const res = await request(app).get('/health');
    return (res.body as HealthBody).checks.choreography;
  };
  const stuckList = async (t: string) => {
    const res = await request(app).get('/orders').query({ status: 'STUCK' }).set(bearer(t)).expect(200);
    return (res.body as { items: { orderId: string; status: string }[] }).items;
  };

  it('an order the orders service does not move shows in /health, /metrics and ?status=STUCK until it moves again', async () => {
    const { sku } = await api.newItem({ stock: 5 });
    const customer = await api.newCustomer(100_000);

    // an order that ended is never stuck, however old
    const done = await placeOrder(app, customer, choreographed(sku));
    assert.equal(done.status, 202, done.text);
    await ended(customer.token, done.body.orderId as string);

    await api.stack.stopWorker('orders');
    let restarted = false;
    try {
      const placed = await placeOrder(app, customer, choreographed(sku));
      assert.equal(placed.status, 202, placed.text);
      const orderId = placed.body.orderId as string;

      const check = await eventually(
        async () => {
          const c = await health();
          assert.equal(c.stuck, 1, JSON.stringify(c));
          return c;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'the order stuck in /health' },
      );
      assert.equal(check.ok, true, 'reported, not failing');
      assert.ok(check.oldestStuckAgeSeconds >= 2, `oldest age ${check.oldestStuckAgeSeconds}`);

      const metrics = await request(app).get('/metrics').expect(200);
      assert.match(metrics.text, /^orders_stuck\{coordination="choreography"\} 1$/m);
      assert.match(metrics.text, /^orders_stuck_oldest_age_seconds\{coordination="choreography"\} [1-9]/m);

      const mine = await stuckList(customer.token);
      assert.deepEqual(
        mine.map((o) => [o.orderId, o.status]),
        [[orderId, 'PENDING']],
        'only the stuck order, not the one that ended',
      );
      assert.deepEqual(
        (await stuckList(api.admin)).map((o) => o.orderId),
        [orderId],
      );

      await api.stack.startWorker('orders');
      restarted = true;
      const end = await ended(customer.token, orderId);
      assert.ok(ENDED.includes(end.sagaState));
      await eventually(async () => assert.equal((await health()).stuck, 0), {
        timeoutMs: 30_000,
        what: 'no order stuck',
      });
      assert.deepEqual(await stuckList(customer.token), []);
      const after = await request(app).get('/metrics').expect(200);
      assert.match(after.text, /^orders_stuck\{coordination="choreography"\} 0$/m);
    } finally {
      if (!restarted) await api.stack.startWorker('orders');
    }
  });

  it('GET /orders?status= with a value that is no status answers 400 problem+json and names the parameter', async () => {
    const customer = await api.newCustomer(0);
    const res = await request(app).get('/orders').query({ status: 'stuck-ish' }).set(bearer(customer.token));
    assert.equal(res.status, 400, res.text);
    assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
    const body = res.body as { errors?: { path: string }[] };
    assert.ok(
      body.errors?.some((e) => e.path === 'query.status'),
      JSON.stringify(body),
    );
  });
});
