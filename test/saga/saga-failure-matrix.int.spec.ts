/**
 * How the real `orderSaga` classifies what stopped it and which undos it runs, newest-first (activities
 * stubbed by recording fakes, no Postgres): every non-retryable business type at its step, an exhausted
 * retry budget, the carrier, a Temporal cancel, a failure after shipping, and a parcel that left although its
 * step ran out of budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { NON_RETRYABLE_TYPES } from '../../src/workflows/activity-proxies';
import { retryCompensationSignal, sagaStateQuery } from '../../src/workflows/contracts';
import { eventually } from '../support/eventually';
import type { ActivityName } from './fake-activities';
import {
  forwardUpTo,
  type ForwardCall,
  reaches,
  startStubbedSagaStack,
  stubOrder,
  STUB_TUNING,
  type StubbedSagaStack,
} from './stubbed-stack';

/** The undos a failure at each call needs, newest-first (the undo of a step is pushed before the step). */
const UNDOS: Partial<Record<ActivityName, string[]>> = {
  placeOrder: ['rejectOrder'],
  validateDestination: ['rejectOrder'],
  reserveStock: ['releaseStock', 'rejectOrder'],
  markOrderInventoryReserved: ['releaseStock', 'rejectOrder'],
  chargePayment: ['refundPayment', 'releaseStock', 'rejectOrder'],
  markOrderPaid: ['refundPayment', 'releaseStock', 'rejectOrder'],
  createShipment: ['cancelShipment', 'refundPayment', 'releaseStock', 'rejectOrder'],
};

/**
 * Where each business type is raised, and the step the failure is reported at: a bookkeeping call between
 * two steps (markOrder*) is reported as the step before it, which was the last one the saga entered.
 */
const REFUSALS: Record<string, { at: ForwardCall; step: string }> = {
  InsufficientStock: { at: 'reserveStock', step: 'reserveStock' },
  InsufficientFunds: { at: 'chargePayment', step: 'chargePayment' },
  UnsupportedCountry: { at: 'validateDestination', step: 'validateDestination' },
  UnknownItem: { at: 'reserveStock', step: 'reserveStock' },
  UnknownAccount: { at: 'chargePayment', step: 'chargePayment' },
  InvalidOrder: { at: 'placeOrder', step: 'placeOrder' },
  InvalidAmount: { at: 'chargePayment', step: 'chargePayment' },
  InvalidCommand: { at: 'markOrderInventoryReserved', step: 'reserveStock' },
  InvalidTransition: { at: 'markOrderPaid', step: 'chargePayment' },
  UnknownSku: { at: 'reserveStock', step: 'reserveStock' },
  ShipmentAlreadyDispatched: { at: 'createShipment', step: 'createShipment' },
};

describe('failure classification and compensation order of the order saga (real Temporal + orderSaga; activities stubbed by recording fakes, no Postgres)', () => {
  let stack: StubbedSagaStack;
  before(async () => {
    stack = await startStubbedSagaStack();
  });
  after(async () => {
    await stack?.stop();
  });

  const sinkOf = (orderId: string) => stack.sinkCalls.filter((c) => c.workflowId === `order-${orderId}`);

  it('every non-retryable type has a row below', () => {
    assert.deepEqual(Object.keys(REFUSALS).sort(), [...NON_RETRYABLE_TYPES].sort());
  });

  for (const [type, { at, step }] of Object.entries(REFUSALS)) {
    const undos = UNDOS[at] ?? [];
    it(`${type} at ${at}: one attempt, FAILED with that type at ${step}; undos newest-first: ${undos.join(' → ')}`, async () => {
      const input = stubOrder();
      stack.fakes.script(input.orderId, at, () => {
        throw ApplicationFailure.nonRetryable(`refused: ${type}`, type);
      });
      const result = await (await stack.start(input)).result();
      assert.equal(result.status, 'FAILED');
      assert.deepEqual(result.failure, { step, type, message: `refused: ${type}` });
      assert.deepEqual(result.compensationsRun, undos);
      assert.deepEqual(stack.fakes.names(input.orderId), [...forwardUpTo(at), ...undos]);
      const reject = stack.fakes.calls(input.orderId, 'rejectOrder')[0];
      assert.deepEqual(
        { outcome: reject?.args['outcome'], reason: reject?.args['reason'], step: reject?.args['step'] },
        { outcome: 'FAILED', reason: `refused: ${type}`, step },
      );
      assert.deepEqual(
        sinkOf(input.orderId)
          .filter((c) => c.fn === 'failed')
          .map((c) => c.args.slice(0, 2)),
        [[step, type]],
      );
    });
  }

  it('a step that keeps failing with an infrastructure error exhausts its attempts: RetriesExhausted with the last message', async () => {
    const input = stubOrder();
    stack.fakes.script(input.orderId, 'chargePayment', () => {
      throw new Error('payments store unavailable');
    });
    const result = await (await stack.start(input)).result();
    assert.deepEqual(result.failure, {
      step: 'chargePayment',
      type: 'RetriesExhausted',
      message: 'payments store unavailable',
    });
    assert.deepEqual(
      stack.fakes.calls(input.orderId, 'chargePayment').map((c) => c.attempt),
      [1, 2],
      'forwardMaxAttempts attempts',
    );
    assert.deepEqual(result.compensationsRun, ['refundPayment', 'releaseStock', 'rejectOrder']);
  });

  it('a non-retryable type outside the business list is not retried but is reported as RetriesExhausted', async () => {
    const input = stubOrder();
    stack.fakes.script(input.orderId, 'reserveStock', () => {
      throw ApplicationFailure.nonRetryable('something odd', 'Mystery');
    });
    const result = await (await stack.start(input)).result();
    assert.deepEqual(result.failure, {
      step: 'reserveStock',
      type: 'RetriesExhausted',
      message: 'something odd',
    });
    assert.equal(stack.fakes.calls(input.orderId, 'reserveStock').length, 1);
    assert.deepEqual(result.compensationsRun, ['releaseStock', 'rejectOrder']);
  });

  it('the carrier failing past the shipment budget: CarrierUnavailable, and every undo runs newest-first', async () => {
    const input = stubOrder({ tuning: { ...STUB_TUNING, shipmentBudgetMs: 1500 } });
    stack.fakes.script(input.orderId, 'createShipment', () => {
      throw ApplicationFailure.retryable('carrier answered 503', 'CarrierUnavailable');
    });
    const result = await (await stack.start(input)).result();
    assert.equal(result.failure?.step, 'createShipment');
    assert.equal(result.failure?.type, 'CarrierUnavailable');
    assert.match(result.failure?.message ?? '', /^carrier unavailable: /);
    assert.ok(stack.fakes.calls(input.orderId, 'createShipment').length >= 1);
    assert.deepEqual(result.compensationsRun, UNDOS.createShipment);
    assert.deepEqual(stack.fakes.names(input.orderId).slice(-4), UNDOS.createShipment);
  });

  it('a carrier refusal (non-retryable CarrierRejected) at the shipment is also reported as CarrierUnavailable', async () => {
    const input = stubOrder();
    stack.fakes.script(input.orderId, 'createShipment', () => {
      throw ApplicationFailure.nonRetryable('carrier refused the booking (422)', 'CarrierRejected');
    });
    const result = await (await stack.start(input)).result();
    assert.deepEqual(result.failure, {
      step: 'createShipment',
      type: 'CarrierUnavailable',
      message: 'carrier unavailable: carrier refused the booking (422)',
    });
    assert.equal(stack.fakes.calls(input.orderId, 'createShipment').length, 1);
    assert.deepEqual(result.compensationsRun, UNDOS.createShipment);
  });

  /**
   * The failure's step is the step the cancellation reached: a cancelled placeOrder still completes (it is
   * waited for), and the next call to be scheduled is refused at once. After placeOrder that is the step
   * validateDestination (a cancelOrder update in the same state reports placeOrder); after the charge it is
   * the bookkeeping call markOrderPaid, which is reported as chargePayment. placeOrder is a local activity of
   * the saga's own worker: the cancel reaches the saga with the next heartbeat of the workflow task it
   * keeps open while the call runs (no cancel request of an activity is recorded for it).
   */
  for (const { heldAt, step, undos } of [
    { heldAt: 'placeOrder', step: 'validateDestination', undos: ['rejectOrder'] },
    {
      heldAt: 'chargePayment',
      step: 'chargePayment',
      undos: ['refundPayment', 'releaseStock', 'rejectOrder'],
    },
  ] as const) {
    it(`a Temporal cancel while ${heldAt} is in flight waits for it to end, then compensates: Cancelled, undos ${undos.join(' → ')}`, async () => {
      const input = stubOrder();
      const gate = stack.fakes.hold(input.orderId, heldAt);
      const handle = await stack.start(input);
      await gate.reached;
      await handle.cancel();
      // positive marker: the saga has processed the cancel (for an activity: asked the server to cancel it)
      await eventually(async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        if (heldAt === 'chargePayment') {
          assert.ok(events.some((e) => e.activityTaskCancelRequestedEventAttributes));
          return;
        }
        const requested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
        assert.ok(requested >= 0, 'cancel requested');
        assert.ok(events.slice(requested).some((e) => e.workflowTaskCompletedEventAttributes));
      });
      const [held] = stack.fakes.calls(input.orderId, heldAt);
      assert.equal(held?.endedAt, undefined, 'the activity is still running');
      gate.release();
      const result = await handle.result();
      assert.equal(result.status, 'CANCELLED');
      assert.deepEqual(result.failure, {
        step,
        type: 'Cancelled',
        message: 'workflow cancelled through Temporal',
      });
      assert.deepEqual(stack.fakes.names(input.orderId), [...forwardUpTo(heldAt), ...undos]);
      const firstUndo = stack.fakes.calls(input.orderId, undos[0])[0];
      assert.ok(
        held?.endedAt !== undefined && firstUndo !== undefined && held.endedAt < firstUndo.startedAt,
        'the first undo started after the activity it undoes had ended',
      );
      assert.equal(stack.fakes.calls(input.orderId, 'rejectOrder')[0]?.args['outcome'], 'CANCELLED');
      assert.ok((await handle.query(sagaStateQuery)).temporalCancelRequestedAt, 'the query shows the cancel');
    });
  }

  it('a Temporal cancel while COMPENSATION_BLOCKED skips nothing: it is shown in the query, the saga stays blocked until retryCompensation, then ends FAILED', async () => {
    const input = stubOrder();
    stack.fakes.script(input.orderId, 'chargePayment', () => {
      throw ApplicationFailure.nonRetryable('balance 0 < 2500', 'InsufficientFunds');
    });
    let down = true;
    stack.fakes.script(input.orderId, 'releaseStock', () => {
      if (down) throw new Error('inventory store unavailable');
    });
    const handle = await stack.start(input);
    await reaches(handle, 'COMPENSATION_BLOCKED');
    await handle.cancel();
    await eventually(async () => {
      const history = await handle.fetchHistory();
      const types = (history.events ?? []).map((e) => e.eventType);
      const requested = (history.events ?? []).findIndex(
        (e) => e.workflowExecutionCancelRequestedEventAttributes,
      );
      assert.ok(requested >= 0, 'cancel requested');
      assert.ok(
        (history.events ?? []).slice(requested).some((e) => e.workflowTaskCompletedEventAttributes),
        `the workflow has processed the cancel request: ${types.length} events`,
      );
    });
    const view = await handle.query(sagaStateQuery);
    assert.equal(view.state, 'COMPENSATION_BLOCKED');
    assert.equal(view.blocked?.compensation, 'releaseStock');
    assert.ok(view.temporalCancelRequestedAt, 'the cancel is recorded and shown in the query');
    down = false;
    await handle.signal(retryCompensationSignal);
    const result = await handle.result();
    assert.equal(result.status, 'FAILED');
    assert.equal(result.failure?.type, 'InsufficientFunds');
    assert.deepEqual(result.compensationsRun, ['refundPayment', 'releaseStock', 'rejectOrder']);
  });

  // Changed behaviour (patch park-bookkeeping-after-shipping): the workflow used to fail and stay ORDER_SHIPPED.
  for (const { at, fail } of [
    {
      at: 'commitStock',
      fail: () => ApplicationFailure.nonRetryable('stock event refused', 'InvalidCommand'),
    },
    { at: 'completeOrder', fail: () => new Error('orders store unavailable') },
  ] as const) {
    it(`a failure after shipping (${at}) parks the saga in COMPENSATION_BLOCKED with nothing undone; retryCompensation retries ${at} and the order completes`, async () => {
      const input = stubOrder();
      let down = true;
      stack.fakes.script(input.orderId, at, () => {
        if (down) throw fail();
      });
      const handle = await stack.start(input);
      await reaches(handle, 'COMPENSATION_BLOCKED');
      const view = await handle.query(sagaStateQuery);
      assert.deepEqual(view.blocked, { compensation: at, error: fail().message });
      assert.deepEqual(
        view.transitions.slice(-2).map((t) => [t.from, t.to]),
        [
          ['AWAITING_SHIPMENT', 'ORDER_SHIPPED'],
          ['ORDER_SHIPPED', 'COMPENSATION_BLOCKED'],
        ],
      );
      const attempts = at === 'commitStock' ? 1 : (STUB_TUNING.compensationMaxAttempts ?? 0);
      assert.equal(stack.fakes.calls(input.orderId, at).length, attempts, 'its budget, then it parks');
      down = false;
      await handle.signal(retryCompensationSignal);
      const result = await handle.result();
      assert.equal(result.status, 'COMPLETED');
      assert.deepEqual(result.compensationsRun, []);
      assert.deepEqual(
        stack.fakes.names(input.orderId).filter((n) => n === at),
        Array<string>(attempts + 1).fill(at),
      );
      assert.deepEqual(
        sinkOf(input.orderId)
          .filter((c) => c.fn === 'compensationFailed')
          .map((c) => c.args[0]),
        [at],
      );
    });
  }

  it('a Temporal cancel after shipping does not stop the bookkeeping: the order completes and the query shows the cancel', async () => {
    const input = stubOrder();
    const gate = stack.fakes.hold(input.orderId, 'commitStock');
    const handle = await stack.start(input);
    await gate.reached;
    await handle.cancel();
    await eventually(async () =>
      assert.ok((await handle.query(sagaStateQuery)).temporalCancelRequestedAt, 'cancel seen'),
    );
    gate.release();
    const result = await handle.result();
    assert.equal(result.status, 'COMPLETED');
    assert.deepEqual(stack.fakes.names(input.orderId), forwardUpTo('completeOrder'));
  });

  it('the shipment budget runs out while the parcel is dispatched: the refused undo keeps the shipment and the order completes', async () => {
    const input = stubOrder({ tuning: { ...STUB_TUNING, shipmentBudgetMs: 1500 } });
    const booking = stack.fakes.hold(input.orderId, 'createShipment');
    stack.fakes.script(input.orderId, 'cancelShipment', () => {
      throw ApplicationFailure.nonRetryable(
        `Shipment for order ${input.orderId} was already dispatched`,
        'ShipmentAlreadyDispatched',
      );
    });
    const handle = await stack.start(input);
    await booking.reached;
    // positive marker: the budget ran out while the booking is still under way
    await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      assert.ok(events.some((e) => e.activityTaskTimedOutEventAttributes));
    });
    booking.release();
    const result = await handle.result();
    assert.equal(result.status, 'COMPLETED');
    assert.equal(result.trackingNumber, `TRK-${input.orderId}`);
    assert.deepEqual(result.compensationsRun, []);
    assert.deepEqual(stack.fakes.names(input.orderId), [
      ...forwardUpTo('createShipment'),
      'cancelShipment',
      'createShipment',
      'commitStock',
      'completeOrder',
    ]);
    const view = await handle.query(sagaStateQuery);
    assert.equal(view.failure, undefined);
    assert.deepEqual(view.transitions.map((t) => t.to).slice(-4), [
      'AWAITING_SHIPMENT',
      'COMPENSATING',
      'ORDER_SHIPPED',
      'COMPLETED',
    ]);
  });
});
