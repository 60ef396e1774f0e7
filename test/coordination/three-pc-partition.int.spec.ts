/**
 * Why 3PC is unsafe under a network partition, shown and counted. The payments participant is cut off from
 * the coordinator after its pre-commit (the partition fault of the participant activities: its pre-commit
 * lands but the acknowledgement is lost, nothing later reaches it, its sweep cannot read the decision). The
 * coordinator, missing an acknowledgement, aborts; payments, pre-committed and hearing nothing, commits by
 * its timeout rule. Real Temporal, Postgres and carrier, workers in-process; the partition is the only fault.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { balanceOf, seed, startSagaStack, stockOf, type SagaStack } from '../saga/harness';
import { eventually } from '../support/eventually';
import {
  atomicInput,
  atomicityViolations,
  decisionOf,
  inDoubt,
  participantOutcomes,
  startAtomic,
} from './support';

/** short enough for a test, with a wide margin between the coordinator's abort and the others' deadlines */
const TUNING = { threePcTimeoutMs: 8_000, preCommitAckTimeoutMs: 1_500 };

describe('3PC under a partition (real Temporal + Postgres + carrier; payments cut off after pre-commit)', () => {
  let stack: SagaStack;
  const cutOff = new Set<string>();
  before(async () => {
    stack = await startSagaStack({
      workers: {
        recovery: { intervalMs: 300, presumeAbortAfterMs: 600_000 },
        partition: (t) => t.participant === 'payments' && cutOff.has(t.orderId),
      },
    });
  });
  afterEach(async () => {
    assert.deepEqual(await inDoubt(stack), [], 'no prepared transaction is left behind');
  });
  after(async () => {
    await stack?.stop();
  });

  it('the coordinator aborts, the cut-off participant commits by timeout: one atomicity violation, the customer charged for a failed order', async (t) => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    const input = atomicInput('3pc', s, { tuning: TUNING });
    const { orderId } = input.order;
    cutOff.add(orderId);
    try {
      const result = await (await startAtomic(stack, input)).result();
      assert.equal(result.status, 'FAILED');
      assert.equal(result.apply.decision, 'abort');
      assert.deepEqual([...result.apply.preCommitted].sort(), ['inventory', 'orders']);
      assert.equal(result.apply.outcomes.payments, undefined, 'the coordinator never reached payments');
      await eventually(
        async () =>
          assert.deepEqual((await participantOutcomes(stack, orderId)).payments, {
            outcome: 'commit',
            by: 'timeout',
          }),
        { what: 'payments to decide by its timeout' },
      );
      const outcomes = await participantOutcomes(stack, orderId);
      assert.equal(outcomes.orders?.outcome, 'abort');
      assert.equal(outcomes.inventory?.outcome, 'abort');
      assert.equal(await decisionOf(stack, orderId), 'abort');
      const violations = await atomicityViolations(stack, orderId);
      assert.deepEqual(violations, ['payments']);
      t.diagnostic(`threePcAtomicityViolations: ${violations.length} (${violations.join(', ')})`);
      // what it means: the stock is back and the order failed, but the money is gone
      assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000 - input.order.total);
      assert.equal((await stack.services.orders.getOrder(orderId))?.status, 'FAILED');
    } finally {
      cutOff.delete(orderId);
    }
  });

  it('the same order without the partition commits everywhere: no violation', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    const input = atomicInput('3pc', s, { tuning: TUNING });
    const result = await (await startAtomic(stack, input)).result();
    assert.equal(result.status, 'COMPLETED');
    assert.equal(result.apply.decision, 'commit');
    assert.deepEqual(await atomicityViolations(stack, input.order.orderId), []);
    assert.equal(await balanceOf(stack, s.customerId), 10_000 - input.order.total);
  });
});
