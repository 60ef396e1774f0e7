/**
 * POST /orders/{id}/cancel when the saga cannot take the cancellation in time. The hold is real, not a race:
 * the saga's worker (task queue `orders`) is stopped, so the cancelOrder update the gateway sends waits at
 * the Temporal server until the gateway's deadline; the worker is started again afterwards. Real stack: a
 * Temporal dev server, Postgres with every migration and the four service workers (test/saga/harness.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import request from 'supertest';
import { eventually } from '../../test/support/eventually';
import { fresh, seed, startSagaStack, type SagaStack } from '../../test/saga/harness';
import { sagaStateQuery } from '../workflows/contracts';
import { createApp } from './app';
import { PROBLEM_BASE } from './problem';
import { mintToken } from './tokens';
import { createApiServices } from './wiring';

const SECRET = 'integration-test-secret-0123456789abcdef';
const ADDRESS = { name: 'Ada', line1: '1 Way', city: 'London', postalCode: 'N1 1AA', country: 'GB' };

describe('cancel answered after the gateway gave up waiting (real stack; the saga held by stopping its worker)', () => {
  let stack: SagaStack;
  let app: ReturnType<typeof createApp>;
  before(async () => {
    stack = await startSagaStack();
    app = createApp({
      pool: stack.pool,
      temporal: stack.env.client,
      services: createApiServices({ pool: stack.pool, relayLagLimitS: 60 }),
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
      config: {
        jwtSecret: SECRET,
        cancellationWindowMs: 3_600_000,
        workerMetricsUrls: [],
        temporalDeadlineMs: 2000,
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it('503 while the saga cannot take the cancel; once it took it, a retry with the same Idempotency-Key answers its outcome (CANCELLED), a new key 409', async () => {
    const { sku, customerId } = await seed(stack, { stock: 5, balance: 100_000 });
    const bearer = {
      Authorization: `Bearer ${await mintToken(SECRET, { sub: customerId, role: 'customer' })}`,
    };
    const placed = await request(app)
      .post('/orders')
      .set(bearer)
      .set('Idempotency-Key', fresh('order'))
      .send({ items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS });
    assert.equal(placed.status, 202, placed.text);
    const orderId = String(placed.body.orderId);
    const handle = stack.env.client.workflow.getHandle(`order-${orderId}`);
    await eventually(async () =>
      assert.equal((await handle.query(sagaStateQuery)).state, 'PAYMENT_COMPLETED'),
    );

    await stack.stopWorker('orders'); // nobody can take the update now
    const key = fresh('cancel');
    const cancel = () =>
      request(app)
        .post(`/orders/${orderId}/cancel`)
        .set(bearer)
        .set('Idempotency-Key', key)
        .send({ reason: 'changed my mind' });
    const first = await cancel();
    assert.equal(first.status, 503, first.text);
    assert.equal(first.body.type, `${PROBLEM_BASE}cancel-not-yet-accepted`);
    assert.equal(first.headers['retry-after'], '1');

    // the update waited at the server: the saga takes it as soon as its worker is back
    await stack.startWorker('orders');
    const result = await handle.result();
    assert.equal(result.status, 'CANCELLED');
    assert.equal(result.failure?.message, 'changed my mind');

    const retry = await cancel();
    assert.equal(retry.status, 202, retry.text);
    assert.deepEqual(retry.body, { orderId, status: 'CANCELLED' });
    const accepted = ((await handle.fetchHistory()).events ?? []).filter(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
    );
    assert.equal(accepted.length, 1, 'one cancel update, taken once');

    const other = await request(app)
      .post(`/orders/${orderId}/cancel`)
      .set(bearer)
      .set('Idempotency-Key', fresh('cancel'))
      .send({ reason: 'changed my mind' });
    assert.equal(other.status, 409, other.text);
  });
});
