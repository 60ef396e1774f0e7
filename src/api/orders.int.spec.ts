/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- supertest bodies are untyped JSON */
/**
 * Orders through the gateway against a real stack (test/support/api-stack.ts: Temporal dev server,
 * Postgres, the four workers running the real saga): POST /orders and what follows from it (the answer, the
 * order read right after, the saga's end, the audit trail, the request id on every event, the charge), the
 * list from the read model, tenancy, and cancellation. One outcome per test; each describe acts once in
 * `before`, on fresh SKUs and customers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import request from 'supertest';
import {
  ADDRESS,
  bearer,
  fresh,
  orderBody,
  placeOrder,
  startApiStack,
  type ApiStack,
  type Customer,
} from '../../test/support/api-stack';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

describe('POST /orders with no cancellation window: 3 units at 19.99', () => {
  let item: { sku: string };
  let c: Customer;
  let requestId: string;
  let res: Response;
  let read: Response;
  let orderId: string;
  let workflowId: string;
  before(async () => {
    item = await api.newItem({ price: 1999 });
    c = await api.newCustomer();
    requestId = fresh('req');
    res = await request(api.fastApp)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .set('X-Request-Id', requestId)
      .send(orderBody(item.sku, 3));
    assert.equal(res.status, 202, res.text);
    ({ orderId, workflowId } = res.body);
    read = await request(api.fastApp).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
    await api.sagaEnd(workflowId);
  });

  it('answers 202 PENDING with Location and the request id; the workflow is order-<orderId>', () => {
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers['x-request-id'], requestId);
    assert.equal(res.body.status, 'PENDING');
    assert.equal(workflowId, `order-${orderId}`);
    assert.equal(res.headers.location, `/orders/${orderId}`);
  });

  it('a GET right after finds it, priced from the catalog', () => {
    assert.equal(read.body.customerId, c.id);
    assert.deepEqual(read.body.items, [{ sku: item.sku, quantity: 3, unitPrice: 1999, lineTotal: 5997 }]);
    assert.equal(read.body.total, 5997);
    assert.deepEqual(read.body.shippingAddress, ADDRESS);
  });

  it('the request id is in the workflow’s memo', async () => {
    const description = await api.stack.env.client.workflow.getHandle(workflowId).describe();
    assert.equal((description.memo as { requestId?: string }).requestId, requestId);
  });

  it('it completes', async () => {
    const done = await request(api.fastApp).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
    assert.equal(done.body.status, 'COMPLETED');
    assert.equal(done.body.sagaState, 'COMPLETED');
  });

  it('its audit trail is versions 1..n', async () => {
    const events = await request(api.fastApp)
      .get(`/orders/${orderId}/events`)
      .set(bearer(c.token))
      .expect(200);
    const versions = events.body.items.map((e: { version: number }) => e.version);
    assert.ok(versions.length >= 2);
    assert.deepEqual(
      versions,
      versions.map((_: number, i: number) => i + 1),
    );
  });

  it('the request id travels from HTTP into the saga and onto every event of the order, in every service', async () => {
    const events = await request(api.fastApp)
      .get(`/orders/${orderId}/events`)
      .set(bearer(c.token))
      .expect(200);
    const meta = await api.stack.pool.query<{ request_id: string | null; correlation_id: string | null }>(
      `SELECT metadata->>'requestId' AS request_id, metadata->>'correlationId' AS correlation_id
         FROM orders.events WHERE stream_id = $1 ORDER BY version`,
      [workflowId],
    );
    assert.equal(meta.rows.length, events.body.items.length);
    assert.ok(
      meta.rows.every((r) => r.correlation_id === orderId && r.request_id === requestId),
      JSON.stringify(meta.rows),
    );
    for (const schema of ['inventory', 'payments', 'shipping']) {
      const other = await api.stack.pool.query<{ request_id: string | null }>(
        `SELECT metadata->>'requestId' AS request_id FROM ${schema}.events WHERE metadata->>'correlationId' = $1`,
        [orderId],
      );
      assert.ok(other.rows.length > 0, `${schema} wrote events for the order`);
      assert.ok(
        other.rows.every((r) => r.request_id === requestId),
        `${schema}: ${JSON.stringify(other.rows)}`,
      );
    }
  });

  it('the customer is charged the total', async () => {
    const account = await request(api.app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 100_000 - 5997);
  });
});

describe('GET /orders: a customer’s two completed orders, from the read model fed by the projections', () => {
  let c: Customer;
  let first: string;
  let second: string;
  let firstRow: { total?: number };
  before(async () => {
    const item = await api.newItem({ price: 1999 });
    c = await api.newCustomer();
    const a = await placeOrder(api.fastApp, c, orderBody(item.sku, 3));
    assert.equal(a.status, 202, a.text);
    await api.sagaEnd(a.body.workflowId);
    const b = await placeOrder(api.fastApp, c, orderBody(item.sku));
    assert.equal(b.status, 202);
    await api.sagaEnd(b.body.workflowId);
    first = a.body.orderId;
    second = b.body.orderId;
    // the read model has caught up with both (the positive marker for every test below)
    firstRow = await api.listed(c.token, first, { status: 'COMPLETED' });
    assert.ok(await api.listed(c.token, second));
  });

  it('lists an order by status, with its total', () => {
    assert.equal(firstRow?.total, 5997);
  });

  it('lists them newest first, one page at a time with a cursor', async () => {
    const page1 = await request(api.app)
      .get('/orders')
      .query({ limit: '1' })
      .set(bearer(c.token))
      .expect(200);
    assert.equal(page1.body.items[0].orderId, second);
    assert.ok(page1.body.nextCursor);
    const page2 = await request(api.app)
      .get('/orders')
      .query({ limit: '1', cursor: page1.body.nextCursor })
      .set(bearer(c.token))
      .expect(200);
    assert.equal(page2.body.items[0].orderId, first);
  });

  it('an admin lists them by customerId', async () => {
    const byAdmin = await request(api.app)
      .get('/orders')
      .query({ customerId: c.id })
      .set(bearer(api.admin))
      .expect(200);
    assert.equal(byAdmin.body.items.length, 2);
  });
});

describe('another customer’s order (alice’s, waiting in its cancellation window; mallory asks)', () => {
  let alice: Customer;
  let mallory: Customer;
  let item: { sku: string };
  let orderId: string;
  let mallorysCancel: Response;
  before(async () => {
    item = await api.newItem();
    alice = await api.newCustomer();
    mallory = await api.newCustomer();
    const placed = await placeOrder(api.app, alice, orderBody(item.sku));
    assert.equal(placed.status, 202, placed.text);
    orderId = placed.body.orderId;
    mallorysCancel = await request(api.app)
      .post(`/orders/${orderId}/cancel`)
      .set(bearer(mallory.token))
      .set('Idempotency-Key', fresh('k'));
  });
  after(async () => {
    // clean up: cancel it so the worker has nothing waiting
    if (orderId)
      await request(api.app)
        .post(`/orders/${orderId}/cancel`)
        .set(bearer(alice.token))
        .set('Idempotency-Key', fresh('k'));
  });

  it('cannot be read or followed: 404', async () => {
    await request(api.app).get(`/orders/${orderId}`).set(bearer(mallory.token)).expect(404);
    await request(api.app).get(`/orders/${orderId}/events`).set(bearer(mallory.token)).expect(404);
  });

  it('cannot be cancelled: 404', () => {
    assert.equal(mallorysCancel.status, 404);
  });

  it('is still running after the refused cancel, and its owner and an admin read it', async () => {
    const mine = await request(api.app).get(`/orders/${orderId}`).set(bearer(alice.token)).expect(200);
    assert.notEqual(mine.body.status, 'CANCELLED');
    await request(api.app).get(`/orders/${orderId}`).set(bearer(api.admin)).expect(200);
  });

  it('is not in the other customer’s list, once the read model lists it for its owner and an admin', async () => {
    // first wait until the list shows the order for its owner (and an admin), so that its absence from
    // mallory's list is the tenant filter, not a projection not yet caught up
    assert.equal((await api.listed(alice.token, orderId)).customerId, alice.id);
    assert.equal((await api.listed(api.admin, orderId, { customerId: alice.id })).customerId, alice.id);
    const mallorys = await request(api.app).get('/orders').set(bearer(mallory.token)).expect(200);
    assert.ok(!mallorys.body.items.some((o: { orderId: string }) => o.orderId === orderId));
  });

  it('listing another customer’s orders by customerId is 403', async () => {
    await request(api.app)
      .get('/orders')
      .query({ customerId: alice.id })
      .set(bearer(mallory.token))
      .expect(403);
  });

  it('ordering for another customer is 403', async () => {
    const forAlice = await placeOrder(api.app, mallory, { ...orderBody(item.sku), customerId: alice.id });
    assert.equal(forAlice.status, 403);
  });
});

describe('GET /orders/{orderId} for an id that names no order', () => {
  it('is 400 when it is not a UUID', async () => {
    const c = await api.newCustomer(0);
    await request(api.app)
      .get(`/orders/${fresh('x')}`)
      .set(bearer(c.token))
      .expect(400);
  });

  it('is 404 for an unknown UUID', async () => {
    const c = await api.newCustomer(0);
    await request(api.app)
      .get('/orders/00000000-0000-4000-8000-000000000000')
      .set(bearer(c.token))
      .expect(404);
  });
});

describe('a cancel inside the window, once the payment is taken', () => {
  let c: Customer;
  let orderId: string;
  let cancel: Response;
  before(async () => {
    const item = await api.newItem({ price: 500 });
    c = await api.newCustomer(10_000);
    const placed = await placeOrder(api.app, c, orderBody(item.sku, 2));
    assert.equal(placed.status, 202, placed.text);
    orderId = placed.body.orderId;
    await api.waitForSagaState(api.app, c.token, orderId, ['PAYMENT_COMPLETED']);
    cancel = await request(api.app)
      .post(`/orders/${orderId}/cancel`)
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ reason: 'changed my mind' });
    assert.equal(cancel.status, 202, cancel.text);
    await api.sagaEnd(placed.body.workflowId);
  });

  it('answers 202 naming the order', () => {
    assert.equal(cancel.status, 202, cancel.text);
    assert.equal(cancel.body.orderId, orderId);
  });

  it('the order ends CANCELLED', async () => {
    const final = await request(api.app).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
    assert.equal(final.body.status, 'CANCELLED');
  });

  it('the money is back', async () => {
    const account = await request(api.app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.equal(account.body.balance, 10_000);
  });
});

describe('a cancel after the order completed', () => {
  it('answers 409 problem+json', async () => {
    const item = await api.newItem({ price: 500 });
    const c = await api.newCustomer(10_000);
    const done = await placeOrder(api.fastApp, c, orderBody(item.sku));
    await api.sagaEnd(done.body.workflowId);
    const late = await request(api.app)
      .post(`/orders/${done.body.orderId}/cancel`)
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'));
    assert.equal(late.status, 409, late.text);
    assert.match(late.headers['content-type'] ?? '', /problem\+json/);
  });
});
