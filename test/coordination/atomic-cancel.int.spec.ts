/**
 * Cancel of 2PC and 3PC orders, by the saga's rules: accepted until shipping starts, rejected after. Before
 * anything is prepared nothing happens; before the decision is recorded the coordinator aborts; after the
 * commit a second distributed transaction (`reverse`) undoes the first. Real Temporal, Postgres and
 * simulated carrier, workers in this process; nothing stubbed (the holds are table locks and a carrier
 * told to fail).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ATOMIC_COMMIT_MODES } from '../../src/domain/coordination';
import {
  ATOMIC_WORKFLOW_TYPES,
  atomicCommitStartOptions,
  atomicCommitStateQuery,
} from '../../src/workflows/atomic-contracts';
import { cancelOrderUpdate } from '../../src/workflows/contracts';
import type { twoPhaseCommit } from '../../src/workflows';
import {
  balanceOf,
  holdWrites,
  scheduledActivities,
  seed,
  startSagaStack,
  stockOf,
  type SagaStack,
} from '../saga/harness';
import { eventually } from '../support/eventually';
import { atomicInput, decisionOf, inDoubt, startAtomic } from './support';

const CANCEL = { reason: 'changed my mind', requestedBy: 'test' };

describe('cancel of 2PC and 3PC orders (real Temporal + Postgres + carrier, workers in-process)', () => {
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
    it(`${mode}: a cancel inside the window runs a reverse transaction: stock and money back, order CANCELLED`, async () => {
      const s = await seed(stack, { stock: 4, balance: 10_000 });
      const input = atomicInput(mode, s, { quantity: 2, cancellationWindowMs: 3_600_000 });
      const handle = await startAtomic(stack, input);
      await eventually(
        async () => assert.equal((await handle.query(atomicCommitStateQuery)).phase, 'AWAITING_SHIPMENT'),
        { what: 'the apply committed and the window is open' },
      );
      assert.deepEqual(await stockOf(stack, s.sku), { available: 2, reserved: 2, shipped: 0 });
      const answer = await handle.executeUpdate(cancelOrderUpdate, { args: [CANCEL] });
      assert.equal(answer.status, 'CANCELLED');
      const result = await handle.result();
      assert.equal(result.status, 'CANCELLED');
      assert.equal(result.failure?.type, 'Cancelled');
      assert.equal(result.apply.decision, 'commit');
      assert.equal(result.reverse?.decision, 'commit');
      assert.equal(result.reverse?.why.outcome, 'cancelled');
      assert.equal(await decisionOf(stack, input.order.orderId, 'reverse'), 'commit');
      assert.deepEqual(await stockOf(stack, s.sku), { available: 4, reserved: 0, shipped: 0 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000);
      assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'CANCELLED');
      assert.ok(!(await scheduledActivities(handle)).includes('createShipment'), 'nothing was shipped');
    });

    it(`${mode}: a cancel that comes with the start ends the order before anything is prepared`, async () => {
      const s = await seed(stack, { stock: 4, balance: 10_000 });
      const input = atomicInput(mode, s, { cancellationWindowMs: 3_600_000 });
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof twoPhaseCommit>(
        ATOMIC_WORKFLOW_TYPES[mode],
        atomicCommitStartOptions(input),
      );
      const update = await stack.env.client.workflow.startUpdateWithStart(cancelOrderUpdate, {
        args: [CANCEL],
        waitForStage: 'ACCEPTED',
        startWorkflowOperation,
      });
      const handle = await startWorkflowOperation.workflowHandle();
      assert.equal((await update.result()).status, 'CANCELLED');
      const result = await handle.result();
      assert.equal(result.status, 'CANCELLED');
      const ran = await scheduledActivities(handle);
      assert.ok(!ran.includes('prepareTransaction'), ran.join(','));
      assert.equal(await decisionOf(stack, input.order.orderId), undefined);
      assert.deepEqual(await stockOf(stack, s.sku), { available: 4, reserved: 0, shipped: 0 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000);
      assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'CANCELLED');
    });

    it(`${mode}: a cancel while the participants prepare (inventory held at its write) makes the decision abort`, async () => {
      const s = await seed(stack, { stock: 4, balance: 10_000 });
      const input = atomicInput(mode, s, { cancellationWindowMs: 3_600_000 });
      const hold = await holdWrites(stack.pool, 'inventory.events');
      let handle;
      try {
        handle = await startAtomic(stack, input);
        const h = handle;
        await eventually(
          async () => {
            assert.equal((await h.query(atomicCommitStateQuery)).phase, 'PREPARING');
            assert.ok((await hold.waiters()) >= 1, 'the inventory prepare waits at its write');
          },
          { what: 'the inventory participant held inside its prepare' },
        );
        await handle.startUpdate(cancelOrderUpdate, { args: [CANCEL], waitForStage: 'ACCEPTED' });
      } finally {
        await hold.release();
      }
      const result = await handle.result();
      assert.equal(result.status, 'CANCELLED');
      assert.equal(result.apply.decision, 'abort');
      assert.equal(result.apply.votes.inventory?.vote, 'yes', 'every participant had voted yes');
      assert.equal(result.reverse, undefined, 'nothing committed, so nothing to reverse');
      assert.equal(await decisionOf(stack, input.order.orderId), 'abort');
      assert.deepEqual(await stockOf(stack, s.sku), { available: 4, reserved: 0, shipped: 0 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000);
      assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'CANCELLED');
    });

    it(`${mode}: once shipping started the cancel is rejected and the order completes (carrier failing, then back)`, async () => {
      const s = await seed(stack, { stock: 4, balance: 10_000 });
      const input = atomicInput(mode, s, { tuning: { shipmentBudgetMs: 120_000 } });
      stack.carrier.behaviour.failureRate = 1;
      let handle;
      try {
        handle = await startAtomic(stack, input);
        const h = handle;
        await eventually(
          async () => assert.equal((await h.query(atomicCommitStateQuery)).phase, 'SHIPPING'),
          { what: 'the coordinator is shipping' },
        );
        await assert.rejects(
          handle.executeUpdate(cancelOrderUpdate, { args: [CANCEL] }),
          (err: unknown) =>
            err instanceof WorkflowUpdateFailedError && /can no longer be cancelled/.test(String(err.cause)),
        );
      } finally {
        stack.carrier.behaviour.failureRate = 0;
      }
      const result = await handle.result();
      assert.equal(result.status, 'COMPLETED');
      assert.equal(result.reverse, undefined);
      assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 1 });
      assert.equal((await stack.services.orders.getOrder(input.order.orderId))?.status, 'COMPLETED');
    });
  }
});
