/**
 * 2PC and 3PC orders end with the saga's business outcomes for the same inputs (completed, no stock, no
 * funds, unsupported country, carrier down), money and stock are conserved, and no prepared transaction is
 * left behind. Real Temporal, Postgres and simulated carrier; workers in this process; nothing stubbed.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ATOMIC_COMMIT_MODES } from '../../src/domain/coordination';
import {
  balanceOf,
  scheduledActivities,
  seed,
  startSagaStack,
  stockOf,
  type SagaStack,
} from '../saga/harness';
import { eventually } from '../support/eventually';
import { atomicInput, decisionOf, inDoubt, startAtomic } from './support';

describe('2PC and 3PC order outcomes (real Temporal + Postgres + carrier, workers in-process)', () => {
  let stack: SagaStack;
  before(async () => {
    stack = await startSagaStack();
  });
  afterEach(async () => {
    assert.deepEqual(await inDoubt(stack), [], 'no prepared transaction is left behind');
  });
  after(async () => {
    await stack?.stop();
  });

  for (const mode of ATOMIC_COMMIT_MODES) {
    it(`${mode}: an order with stock and funds commits everywhere, ships and completes`, async () => {
      const s = await seed(stack, { stock: 5, balance: 10_000 });
      const input = atomicInput(mode, s, { quantity: 2 });
      const result = await (await startAtomic(stack, input)).result();
      assert.equal(result.status, 'COMPLETED');
      assert.equal(result.apply.decision, 'commit');
      assert.ok(result.trackingNumber);
      assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 2 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000 - 2 * s.price);
      assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'COMPLETED');
      assert.equal(await decisionOf(stack, input.order.orderId), 'commit');
    });

    for (const c of [
      { name: 'no stock', stock: 1, balance: 10_000, type: 'InsufficientStock' },
      { name: 'no funds', stock: 5, balance: 100, type: 'InsufficientFunds' },
    ]) {
      it(`${mode}: ${c.name} is a no vote: everything aborts, the order fails ${c.type}, nothing moves`, async () => {
        const s = await seed(stack, { stock: c.stock, balance: c.balance });
        const input = atomicInput(mode, s, { quantity: 2 });
        const result = await (await startAtomic(stack, input)).result();
        assert.equal(result.status, 'FAILED');
        assert.equal(result.failure?.type, c.type);
        assert.equal(result.apply.decision, 'abort');
        assert.deepEqual(await stockOf(stack, s.sku), { available: c.stock, reserved: 0, shipped: 0 });
        assert.equal(await balanceOf(stack, s.customerId), c.balance);
        assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'FAILED');
      });
    }

    it(`${mode}: an unsupported country is refused before anything is prepared`, async () => {
      const s = await seed(stack, { stock: 5, balance: 10_000 });
      const input = atomicInput(mode, s, { country: 'ZZ' });
      const handle = await startAtomic(stack, input);
      const result = await handle.result();
      assert.equal(result.status, 'FAILED');
      assert.equal(result.failure?.type, 'UnsupportedCountry');
      const ran = await scheduledActivities(handle);
      assert.ok(!ran.includes('prepareTransaction'), ran.join(','));
      assert.equal(await decisionOf(stack, input.order.orderId), undefined);
      assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'FAILED');
    });
  }

  it('2pc: when the carrier is down after the commit, a second distributed transaction reverses the first', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    stack.carrier.behaviour.failureRate = 1;
    try {
      const input = atomicInput('2pc', s, { tuning: { shipmentBudgetMs: 4000 } });
      const result = await (await startAtomic(stack, input)).result();
      assert.equal(result.status, 'FAILED');
      assert.equal(result.failure?.type, 'CarrierUnavailable');
      assert.equal(result.apply.decision, 'commit');
      assert.equal(result.reverse?.decision, 'commit');
      assert.equal(await decisionOf(stack, input.order.orderId, 'reverse'), 'commit');
      assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000);
      assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'FAILED');
    } finally {
      stack.carrier.behaviour.failureRate = 0;
    }
    await eventually(
      async () => {
        if (stack.carrierClient.state !== 'closed')
          await stack.carrierClient
            .book({
              key: `probe-${Date.now()}`,
              orderId: 'probe',
              country: 'GB',
              postalCode: 'X',
              parcels: 1,
            })
            .catch(() => undefined);
        assert.equal(stack.carrierClient.state, 'closed');
      },
      { intervalMs: 100, what: 'the carrier breaker closed again' },
    );
  });
});
