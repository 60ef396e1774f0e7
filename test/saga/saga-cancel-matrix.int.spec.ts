/**
 * The cancel matrix of the real `orderSaga` (activities stubbed by recording fakes, no Postgres): the
 * cancelOrder update in every state, each state held exactly by a barrier in a fake activity (or, for
 * PAYMENT_COMPLETED, by the saga's own cancellation window), never by a timing window.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CANCELLABLE_STATES } from '../../src/workflows/saga-state';
import {
  cancelOrderUpdate,
  retryCompensationSignal,
  sagaStateQuery,
  SAGA_STATES,
  type SagaStateName,
} from '../../src/workflows/contracts';
import { eventually } from '../support/eventually';
import type { ActivityName } from './fake-activities';
import {
  acceptedUpdates,
  assertCancelRejected,
  forwardUpTo,
  reaches,
  startStubbedSagaStack,
  stateOf,
  stubOrder,
  STUB_TUNING,
  type StubbedSagaStack,
} from './stubbed-stack';

const HOUR = 3_600_000;

describe('cancel matrix of the order saga (real Temporal + orderSaga; activities stubbed by recording fakes, no Postgres)', () => {
  let stack: StubbedSagaStack;
  before(async () => {
    stack = await startStubbedSagaStack();
  });
  after(async () => {
    await stack?.stop();
  });

  /**
   * Accepted in every cancellable state. The update only raises a flag: the activity in flight finishes,
   * and the saga stops before its next *step*, before it registers that step's undo (changed behaviour,
   * patch cancel-check-before-undo: older sagas also ran the no-op undo of the step after the one in
   * flight, releaseStock in the row held at validateDestination and refundPayment in the row held at
   * reserveStock). The bookkeeping calls between steps are not checked. placeOrder is a local activity: a
   * cancel sent while it runs reaches the saga with the next heartbeat of the workflow task it keeps open.
   */
  const accepted: {
    state: SagaStateName;
    heldAt: ActivityName | 'cancellation window';
    calls: string[];
    undos: string[];
  }[] = [
    { state: 'STARTED', heldAt: 'placeOrder', calls: forwardUpTo('placeOrder'), undos: ['rejectOrder'] },
    {
      state: 'ORDER_PLACED',
      heldAt: 'validateDestination',
      calls: forwardUpTo('validateDestination'),
      undos: ['rejectOrder'],
    },
    {
      state: 'ORDER_PLACED',
      heldAt: 'reserveStock',
      calls: forwardUpTo('markOrderInventoryReserved'),
      undos: ['releaseStock', 'rejectOrder'],
    },
    {
      state: 'INVENTORY_RESERVED',
      heldAt: 'chargePayment',
      calls: forwardUpTo('markOrderPaid'),
      undos: ['refundPayment', 'releaseStock', 'rejectOrder'],
    },
    {
      state: 'PAYMENT_COMPLETED',
      heldAt: 'cancellation window',
      calls: forwardUpTo('markOrderPaid'),
      undos: ['refundPayment', 'releaseStock', 'rejectOrder'],
    },
  ];

  it('the matrix covers every cancellable state, and every other state is refused below', () => {
    assert.deepEqual([...new Set(accepted.map((r) => r.state))], [...CANCELLABLE_STATES]);
    const refused = ['AWAITING_SHIPMENT', 'ORDER_SHIPPED', 'COMPENSATING', 'COMPENSATION_BLOCKED'];
    const closed = ['COMPLETED', 'FAILED', 'CANCELLED'];
    assert.deepEqual(
      [...CANCELLABLE_STATES, ...refused, ...closed].sort(),
      [...SAGA_STATES].sort(),
      'every saga state is in the matrix',
    );
  });

  for (const row of accepted) {
    it(`cancel in ${row.state} (held at ${row.heldAt}) is accepted; exactly these undos run, newest-first: ${row.undos.join(' → ')}`, async () => {
      const input = stubOrder({ cancellationWindowMs: row.heldAt === 'cancellation window' ? HOUR : 0 });
      const gate =
        row.heldAt === 'cancellation window' ? undefined : stack.fakes.hold(input.orderId, row.heldAt);
      const handle = await stack.start(input);
      if (gate) await gate.reached;
      else await reaches(handle, row.state);
      assert.equal(await stateOf(handle), row.state);

      const update = await handle.startUpdate(cancelOrderUpdate, {
        args: [{ reason: 'changed my mind', requestedBy: 'customer' }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      gate?.release();
      assert.deepEqual(await update.result(), {
        orderId: input.orderId,
        accepted: true,
        status: 'CANCELLED',
        state: 'CANCELLED',
      });
      const result = await handle.result();
      assert.equal(result.status, 'CANCELLED');
      assert.equal(result.failure?.type, 'Cancelled');
      assert.equal(result.failure?.message, 'changed my mind');
      assert.deepEqual(result.compensationsRun, row.undos);
      assert.deepEqual(stack.fakes.names(input.orderId), [...row.calls, ...row.undos]);
      const [reject] = stack.fakes.calls(input.orderId, 'rejectOrder');
      assert.equal(reject?.args['outcome'], 'CANCELLED');
      assert.equal(reject?.args['reason'], 'changed my mind');
      const view = await handle.query(sagaStateQuery);
      assert.deepEqual(
        view.transitions.slice(-2).map((t) => t.to),
        ['COMPENSATING', 'CANCELLED'],
      );
      const metrics = stack.sinkCalls.filter((c) => c.workflowId === `order-${input.orderId}`);
      assert.deepEqual(
        metrics.filter((c) => c.fn === 'compensationRun').map((c) => c.args[0]),
        row.undos,
      );
      assert.equal(metrics.filter((c) => c.fn === 'cancelled').length, 1);
    });
  }

  /** Refused by the validator with its own message; the saga goes on as if nothing was asked. */
  for (const row of [
    { state: 'AWAITING_SHIPMENT', heldAt: 'createShipment' },
    { state: 'ORDER_SHIPPED', heldAt: 'commitStock' },
    { state: 'ORDER_SHIPPED', heldAt: 'completeOrder' },
  ] as const) {
    it(`cancel in ${row.state} (held at ${row.heldAt}) is refused by the validator and the order completes`, async () => {
      const input = stubOrder();
      const gate = stack.fakes.hold(input.orderId, row.heldAt);
      const handle = await stack.start(input);
      await gate.reached;
      assert.equal(await stateOf(handle), row.state);
      await assertCancelRejected(handle, input.orderId, row.state);
      gate.release();
      const result = await handle.result();
      assert.equal(result.status, 'COMPLETED');
      assert.deepEqual(stack.fakes.names(input.orderId), forwardUpTo('completeOrder'));
      assert.equal(await acceptedUpdates(handle), 0, 'a refused update leaves no trace in the history');
    });
  }

  it('cancel while COMPENSATING after a business failure is refused by the validator; the undo goes on', async () => {
    const input = stubOrder();
    stack.fakes.script(input.orderId, 'chargePayment', () => {
      throw ApplicationFailure.nonRetryable('balance 100 < 2500', 'InsufficientFunds');
    });
    const gate = stack.fakes.hold(input.orderId, 'releaseStock');
    const handle = await stack.start(input);
    await gate.reached;
    assert.equal(await stateOf(handle), 'COMPENSATING');
    await assertCancelRejected(handle, input.orderId, 'COMPENSATING');
    gate.release();
    const result = await handle.result();
    assert.equal(result.status, 'FAILED');
    assert.equal(result.failure?.type, 'InsufficientFunds');
    assert.deepEqual(result.compensationsRun, ['refundPayment', 'releaseStock', 'rejectOrder']);
    assert.equal(stack.fakes.calls(input.orderId, 'rejectOrder')[0]?.args['outcome'], 'FAILED');
    assert.equal(await acceptedUpdates(handle), 0);
  });

  it('cancel while COMPENSATION_BLOCKED after a business failure is refused by the validator', async () => {
    const input = stubOrder();
    stack.fakes.script(input.orderId, 'reserveStock', () => {
      throw ApplicationFailure.nonRetryable('only 1 left', 'InsufficientStock');
    });
    let down = true;
    stack.fakes.script(input.orderId, 'releaseStock', () => {
      if (down) throw new Error('inventory store unavailable');
    });
    const handle = await stack.start(input);
    await reaches(handle, 'COMPENSATION_BLOCKED');
    await assertCancelRejected(handle, input.orderId, 'COMPENSATION_BLOCKED');
    down = false;
    await handle.signal(retryCompensationSignal);
    const result = await handle.result();
    assert.equal(result.status, 'FAILED');
    assert.deepEqual(result.compensationsRun, ['releaseStock', 'rejectOrder']);
    assert.equal(await acceptedUpdates(handle), 0);
  });

  it('after the saga closed (COMPLETED, FAILED, CANCELLED) the validator cannot run: the server refuses the update as not found', async () => {
    const completed = stubOrder();
    const failed = stubOrder();
    stack.fakes.script(failed.orderId, 'validateDestination', () => {
      throw ApplicationFailure.nonRetryable('no carrier to ZZ', 'UnsupportedCountry');
    });
    const cancelled = stubOrder({ cancellationWindowMs: HOUR });
    const handles = await Promise.all([completed, failed, cancelled].map((i) => stack.start(i)));
    const [h1, h2, h3] = handles as [(typeof handles)[0], (typeof handles)[0], (typeof handles)[0]];
    await reaches(h3, 'PAYMENT_COMPLETED');
    await h3.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'first' }] });
    for (const [h, status] of [
      [h1, 'COMPLETED'],
      [h2, 'FAILED'],
      [h3, 'CANCELLED'],
    ] as const) {
      assert.equal((await h.result()).status, status);
      await assert.rejects(
        h.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'too late' }] }),
        (err: unknown) =>
          err instanceof WorkflowNotFoundError && /workflow execution already completed/.test(err.message),
      );
      assert.equal((await h.query(sagaStateQuery)).state, status);
    }
  });

  it('a repeated cancel is accepted with the same outcome, before and during compensation; the undos run once and the first reason wins', async () => {
    // placeOrder and rejectOrder are local activities: each cancel sent while one is held reaches the saga
    // with a heartbeat of its workflow task (seconds apart), so the held attempt gets a long timeout
    const input = stubOrder({ tuning: { ...STUB_TUNING, attemptTimeoutMs: 300_000 } });
    const placing = stack.fakes.hold(input.orderId, 'placeOrder');
    const rejecting = stack.fakes.hold(input.orderId, 'rejectOrder');
    const handle = await stack.start(input);
    await placing.reached;
    const cancel = (reason: string) =>
      handle.startUpdate(cancelOrderUpdate, {
        args: [{ reason }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
    const first = await cancel('first');
    const second = await cancel('second');
    placing.release();
    await rejecting.reached;
    assert.equal(await stateOf(handle), 'COMPENSATING');
    const third = await cancel('third');
    rejecting.release();
    const answers = await Promise.all([first.result(), second.result(), third.result()]);
    const expected = { orderId: input.orderId, accepted: true, status: 'CANCELLED', state: 'CANCELLED' };
    assert.deepEqual(answers, [expected, expected, expected]);
    const result = await handle.result();
    assert.equal(result.failure?.message, 'first');
    assert.deepEqual(stack.fakes.names(input.orderId), ['placeOrder', 'rejectOrder']);
    assert.equal(stack.fakes.calls(input.orderId, 'rejectOrder')[0]?.args['reason'], 'first');
    assert.equal(await acceptedUpdates(handle), 3);
  });

  it('cancel while blocked: answered COMPENSATION_BLOCKED; a retry while the cause persists re-blocks on the same undo; once fixed it ends CANCELLED', async () => {
    const attempts = STUB_TUNING.compensationMaxAttempts ?? 0;
    const input = stubOrder({ cancellationWindowMs: HOUR });
    let down = true;
    stack.fakes.script(input.orderId, 'refundPayment', () => {
      if (down) throw new Error('payments store unavailable');
    });
    const handle = await stack.start(input);
    await reaches(handle, 'PAYMENT_COMPLETED');
    const blocked = {
      orderId: input.orderId,
      accepted: true,
      status: 'COMPENSATION_BLOCKED',
      state: 'COMPENSATION_BLOCKED',
    };
    assert.deepEqual(await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'first' }] }), blocked);
    const view = await handle.query(sagaStateQuery);
    assert.deepEqual(view.blocked, { compensation: 'refundPayment', error: 'payments store unavailable' });
    assert.equal(stack.fakes.calls(input.orderId, 'refundPayment').length, attempts);

    // a second cancel while blocked: accepted (already cancelling) and answered at once with the same state
    assert.deepEqual(await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'again' }] }), blocked);

    // retry while the payments store is still down: the same undo is attempted again and the saga re-blocks
    await handle.signal(retryCompensationSignal);
    await eventually(async () => {
      const v = await handle.query(sagaStateQuery);
      assert.equal(v.transitions.filter((t) => t.to === 'COMPENSATION_BLOCKED').length, 2);
      assert.equal(v.state, 'COMPENSATION_BLOCKED');
      assert.deepEqual(v.blocked, { compensation: 'refundPayment', error: 'payments store unavailable' });
    });
    assert.equal(stack.fakes.calls(input.orderId, 'refundPayment').length, 2 * attempts);
    assert.deepEqual(stack.fakes.names(input.orderId), [
      ...forwardUpTo('markOrderPaid'),
      ...Array<string>(2 * attempts).fill('refundPayment'),
    ]);

    down = false;
    await handle.signal(retryCompensationSignal);
    const result = await handle.result();
    assert.equal(result.status, 'CANCELLED');
    assert.equal(result.failure?.message, 'first');
    assert.deepEqual(result.compensationsRun, ['refundPayment', 'releaseStock', 'rejectOrder']);
    assert.deepEqual(stack.fakes.names(input.orderId).slice(forwardUpTo('markOrderPaid').length), [
      ...Array<string>(2 * attempts + 1).fill('refundPayment'),
      'releaseStock',
      'rejectOrder',
    ]);
    const failures = stack.sinkCalls.filter(
      (c) => c.workflowId === `order-${input.orderId}` && c.fn === 'compensationFailed',
    );
    assert.deepEqual(
      failures.map((c) => c.args[0]),
      ['refundPayment', 'refundPayment'],
    );
  });
});
