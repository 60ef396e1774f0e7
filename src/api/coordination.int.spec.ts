/**
 * POST /orders with a coordination mode, against the real stack (test/support/api-stack.ts): the mode picks
 * the workflow, GET /orders/{id} says which mode ran, the mode is part of the idempotency fingerprint, and
 * an unknown mode is a 400 that starts nothing, and cancel answers by the saga's rules (202 in the window, 409 after).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listPrepared } from '../coordination/participant';
import { bearer, fresh, orderBody, startApiStack, type ApiStack } from '../../test/support/api-stack';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

describe('POST /orders with "coordination"', () => {
  for (const mode of ['2pc', '3pc'] as const) {
    it(`"${mode}" runs the atomic-commit coordinator and GET /orders/{id} says so`, async () => {
      const item = await api.newItem({ price: 500 });
      const c = await api.newCustomer();
      const res = await request(api.fastApp)
        .post('/orders')
        .set(bearer(c.token))
        .set('Idempotency-Key', fresh('k'))
        .send({ ...orderBody(item.sku, 2), coordination: mode });
      assert.equal(res.status, 202, res.text);
      const { orderId, workflowId } = res.body as { orderId: string; workflowId: string };
      const description = await api.stack.env.client.workflow.getHandle(workflowId).describe();
      assert.equal(description.type, mode === '2pc' ? 'twoPhaseCommit' : 'threePhaseCommit');
      await api.sagaEnd(workflowId);
      const read = await request(api.fastApp).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
      assert.equal(read.body.coordination, mode);
      assert.equal(read.body.status, 'COMPLETED');
    });
  }

  for (const mode of ['2pc', '3pc'] as const) {
    it(`"${mode}": POST /orders/{id}/cancel inside the window answers 202 and the order ends CANCELLED; after it ended, 409`, async () => {
      const item = await api.newItem({ price: 500 });
      const c = await api.newCustomer();
      const placed = await request(api.app) // the app with a 60 s cancellation window
        .post('/orders')
        .set(bearer(c.token))
        .set('Idempotency-Key', fresh('k'))
        .send({ ...orderBody(item.sku, 1), coordination: mode });
      assert.equal(placed.status, 202, placed.text);
      const { orderId, workflowId } = placed.body as { orderId: string; workflowId: string };
      const cancel = () =>
        request(api.app)
          .post(`/orders/${orderId}/cancel`)
          .set(bearer(c.token))
          .set('Idempotency-Key', fresh('k'))
          .send({ reason: 'changed my mind' });
      const first = await cancel();
      assert.equal(first.status, 202, first.text);
      await api.sagaEnd(workflowId);
      const read = await request(api.app).get(`/orders/${orderId}`).set(bearer(c.token)).expect(200);
      assert.equal(read.body.status, 'CANCELLED');
      assert.equal(read.body.coordination, mode);
      const late = await cancel();
      assert.equal(late.status, 409, late.text);
      assert.deepEqual(await listPrepared(api.stack.pool), [], 'no prepared transaction is left behind');
    });
  }

  it('without it the saga runs (orchestration)', async () => {
    const item = await api.newItem({ price: 500 });
    const c = await api.newCustomer();
    const res = await request(api.fastApp)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send(orderBody(item.sku, 1));
    assert.equal(res.status, 202, res.text);
    await api.sagaEnd((res.body as { workflowId: string }).workflowId);
    const read = await request(api.fastApp)
      .get(`/orders/${res.body.orderId}`)
      .set(bearer(c.token))
      .expect(200);
    assert.equal(read.body.coordination, 'orchestration');
  });

  it('the same Idempotency-Key with another mode is refused (422) and starts nothing', async () => {
    const item = await api.newItem({ price: 500 });
    const c = await api.newCustomer();
    const key = fresh('k');
    const first = await request(api.fastApp)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', key)
      .send({ ...orderBody(item.sku, 1), coordination: '2pc' });
    assert.equal(first.status, 202, first.text);
    const other = await request(api.fastApp)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', key)
      .send({ ...orderBody(item.sku, 1), coordination: '3pc' });
    assert.equal(other.status, 422, other.text);
    await api.sagaEnd((first.body as { workflowId: string }).workflowId);
  });

  it('an unknown mode is a 400 naming the field', async () => {
    const item = await api.newItem({ price: 500 });
    const c = await api.newCustomer();
    const res = await request(api.fastApp)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ ...orderBody(item.sku, 1), coordination: 'paxos' });
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /coordination/);
  });
});
