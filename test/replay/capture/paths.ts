/**
 * The saga paths `npm run replay:capture` records, one history each (test/replay/histories/<name>.json).
 * A cancel "in a state" holds the saga there honestly: the worker of the step that comes next is stopped,
 * so that step stays scheduled with nobody to run it; the capture waits until the saga's own `sagaState`
 * query answers the state and the next step is pending, cancels, and only then starts the worker again.
 */
import type { ChildProcess } from 'node:child_process';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal as proto } from '@temporalio/proto';
import {
  cancelOrderUpdate,
  orderSagaStartOptions,
  retryCompensationSignal,
  type SagaStateName,
  sagaStateQuery,
} from '../../../src/workflows/contracts';
import { orderSaga } from '../../../src/workflows/order-saga';
import { acceptedUpdateBeforeFirstStep, type SagaPath } from '../histories';
import {
  currentState,
  FAST,
  LONG_WINDOW_MS,
  orderInput,
  pendingAttempts,
  POOR,
  type SagaPathSpec,
  setCarrier,
  SKU_SOLD_OUT,
  type Stage,
  startFrozenPaymentsWorker,
  waitForHistoryEvent,
  waitForPendingActivity,
  waitForState,
  type WorkerRole,
} from './stage';
import { eventually } from '../../support/eventually';
import { holdWrites, type WriteHold } from '../../saga/harness';

const CANCEL = { reason: 'changed my mind', requestedBy: 'replay-capture' };
const EventType = proto.api.enums.v1.EventType;

const firstIndex = (history: History, type: proto.api.enums.v1.EventType) =>
  (history.events ?? []).findIndex((e) => e.eventType === type);

/** Sends the cancelOrder update and returns once the saga accepted it (its validator ran). */
async function cancelAccepted(stage: Stage, handle: WorkflowHandle, state: SagaStateName) {
  const update = await handle.startUpdate(cancelOrderUpdate, { args: [CANCEL], waitForStage: 'ACCEPTED' });
  stage.log(`  cancel accepted in ${state}`);
  return update;
}

/** A hold on writes to one service's events (test/saga/harness.ts), released by `after` whatever happened. */
let writeHold: WriteHold | undefined;
const releaseHold = async () => {
  await writeHold?.release();
  writeHold = undefined;
};

/**
 * A cancelOrder update accepted in `state`, held there because `held` (the worker of `next`) is down.
 */
function cancelWhileHeld(state: SagaStateName, next: string, held: WorkerRole): SagaPathSpec {
  return {
    expect: 'CANCELLED',
    input: () => orderInput({}),
    before: (stage) => stage.stopWorker(held),
    during: async (stage, handle) => {
      await waitForPendingActivity(handle, next, 'SCHEDULED');
      const now = await currentState(handle);
      if (now !== state) throw new Error(`held at ${next} in ${now}, expected ${state}`);
      const update = await cancelAccepted(stage, handle, state);
      await stage.startWorker(held);
      const r = await update.result();
      stage.log(`  cancel update answered: ${r.status} (${r.state})`);
    },
    after: (stage) => stage.startWorker(held),
  };
}

let frozen: ChildProcess | undefined;
let paymentsTableRenamed = false;

export const PATHS: Record<SagaPath, SagaPathSpec> = {
  'happy-path': { expect: 'COMPLETED', input: () => orderInput({ cancellationWindowMs: 500 }) },
  'no-stock': { expect: 'FAILED', input: () => orderInput({ sku: SKU_SOLD_OUT, quantity: 1 }) },
  'no-funds': { expect: 'FAILED', input: () => orderInput({ customerId: POOR }) },
  'unsupported-country': { expect: 'FAILED', input: () => orderInput({ country: 'BR' }) },

  // The cancel travels with the start (update-with-start), so the saga's first activation holds both: the
  // SDK runs the update's validator and handler when the saga registers its handler, before the saga's code
  // reaches placeOrder. The current code places the order anyway (for its audit trail), then unwinds.
  'cancelled-in-started': {
    expect: 'CANCELLED',
    input: () => orderInput({}),
    start: async (stage, input) => {
      const startWorkflowOperation = new WithStartWorkflowOperation(orderSaga, orderSagaStartOptions(input));
      const update = await stage.client.workflow.startUpdateWithStart(cancelOrderUpdate, {
        args: [CANCEL],
        waitForStage: 'ACCEPTED',
        startWorkflowOperation,
      });
      stage.log('  cancel accepted with the start (update-with-start)');
      void update.result().catch(() => undefined);
      return startWorkflowOperation.workflowHandle();
    },
    check: (history) => {
      if (!acceptedUpdateBeforeFirstStep(history))
        throw new Error('the cancel was not accepted before the first step');
    },
  },
  // STARTED while placeOrder runs: a local activity of the saga's own worker, so no worker can be stopped to
  // hold it. Writes to orders.events are held instead: placeOrder waits at its INSERT (a waiter on the lock
  // is the marker), the saga's worker keeps its workflow task alive meanwhile and takes the cancel with its
  // next heartbeat; then the writes go on.
  'cancelled-while-placing': {
    expect: 'CANCELLED',
    input: () => orderInput({}),
    before: async (stage) => {
      writeHold = await holdWrites(stage.pool, 'orders.events');
    },
    during: async (stage, handle) => {
      const hold = writeHold!;
      await eventually(
        async () => {
          if ((await hold.waiters()) < 1) throw new Error('placeOrder has not reached orders.events yet');
        },
        { what: 'placeOrder waiting at its write', intervalMs: 100 },
      );
      const now = await currentState(handle);
      if (now !== 'STARTED') throw new Error(`held at placeOrder in ${now}, expected STARTED`);
      const update = await cancelAccepted(stage, handle, 'STARTED');
      await releaseHold();
      const r = await update.result();
      stage.log(`  cancel update answered: ${r.status} (${r.state})`);
    },
    after: releaseHold,
  },
  'cancelled-in-order-placed': cancelWhileHeld('ORDER_PLACED', 'validateDestination', 'shipping'),
  'cancelled-in-inventory-reserved': cancelWhileHeld('INVENTORY_RESERVED', 'chargePayment', 'payments'),
  // PAYMENT_COMPLETED, in the cancellation window (a durable timer the cancel interrupts).
  'cancelled-in-window': {
    expect: 'CANCELLED',
    input: () => orderInput({ cancellationWindowMs: LONG_WINDOW_MS }),
    during: async (stage, handle) => {
      await waitForState(handle, 'PAYMENT_COMPLETED');
      const r = await (await cancelAccepted(stage, handle, 'PAYMENT_COMPLETED')).result();
      stage.log(`  cancel update answered: ${r.status} (${r.state})`);
    },
  },

  // Cancelling the workflow through Temporal (`temporal workflow cancel`): the saga compensates the same way.
  'temporal-cancel-in-window': {
    expect: 'CANCELLED',
    input: () => orderInput({ cancellationWindowMs: LONG_WINDOW_MS }),
    during: async (stage, handle) => {
      await waitForState(handle, 'PAYMENT_COMPLETED');
      await handle.cancel();
      stage.log('  workflow cancel requested in the cancellation window');
    },
  },
  // ... while a step is scheduled: the saga asks the server to cancel the activity and waits for it.
  'temporal-cancel-while-reserving': {
    expect: 'CANCELLED',
    input: () => orderInput({}),
    before: (stage) => stage.stopWorker('inventory'),
    during: async (stage, handle) => {
      await waitForPendingActivity(handle, 'reserveStock', 'SCHEDULED');
      await handle.cancel();
      stage.log('  workflow cancel requested while reserveStock is scheduled');
      await waitForPendingActivity(handle, 'releaseStock', 'SCHEDULED'); // the saga is compensating
      await stage.startWorker('inventory');
    },
    check: (history) => {
      if (firstIndex(history, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) < 0)
        throw new Error('the saga did not request the cancellation of reserveStock');
    },
    after: (stage) => stage.startWorker('inventory'),
  },

  // The payments store is unavailable: the charge runs out of attempts and so does its refund; the saga parks
  // in COMPENSATION_BLOCKED until the store is back and an operator sends retryCompensation.
  'compensation-blocked-then-retried': {
    expect: 'FAILED',
    input: () => orderInput({ tuning: { ...FAST, forwardMaxAttempts: 2 } }),
    before: async (stage) => {
      await stage.pool.query('ALTER TABLE payments.events RENAME TO events_unavailable');
      paymentsTableRenamed = true;
    },
    during: async (stage, handle) => {
      await waitForState(handle, 'COMPENSATION_BLOCKED');
      const view = await handle.query(sagaStateQuery);
      if (view.blocked?.compensation !== 'refundPayment')
        throw new Error(`blocked on ${view.blocked?.compensation}, expected refundPayment`);
      stage.log(`  blocked on ${view.blocked.compensation}; store restored, retryCompensation sent`);
      await stage.pool.query('ALTER TABLE payments.events_unavailable RENAME TO events');
      paymentsTableRenamed = false;
      await handle.signal(retryCompensationSignal);
    },
    check: (history, result) => {
      if (firstIndex(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) < 0)
        throw new Error('no retryCompensation signal in the history');
      if (!result.compensationsRun.includes('refundPayment')) throw new Error('the refund never ran');
    },
    after: async (stage) => {
      if (paymentsTableRenamed)
        await stage.pool.query('ALTER TABLE payments.events_unavailable RENAME TO events');
      paymentsTableRenamed = false;
    },
  },

  // 1. The payments worker is a real process that dies (SIGKILL) while it holds the charge: the attempt
  //    times out (startToClose) and Temporal retries it on the restarted worker (attempt 2 in the history).
  // 2. The saga's worker, the order activities' and the shipping worker go down while the saga waits in its
  //    cancellation window; the timer fires with nobody polling; fresh workers (empty cache: they rebuild
  //    the saga by replaying its history) pick it up and finish it.
  'worker-crash-retry': {
    expect: 'COMPLETED',
    input: () => orderInput({ cancellationWindowMs: 3000, tuning: { ...FAST, attemptTimeoutMs: 2000 } }),
    before: async (stage) => {
      await stage.stopWorker('payments');
      frozen = await startFrozenPaymentsWorker(stage);
    },
    during: async (stage, handle) => {
      await waitForPendingActivity(handle, 'chargePayment', 'STARTED');
      frozen!.kill('SIGKILL');
      frozen = undefined;
      stage.log('  payments worker killed (SIGKILL) while it held the charge');
      await stage.startWorker('payments', 'replay-capture-payments-restarted');
      await waitForState(handle, 'PAYMENT_COMPLETED');
      stage.log('  the charge was retried on the restarted payments worker');
      await Promise.all(['workflows', 'orders', 'shipping'].map((r) => stage.stopWorker(r as WorkerRole)));
      stage.log('  saga, order and shipping workers stopped in the cancellation window');
      await waitForHistoryEvent(handle, 'EVENT_TYPE_TIMER_FIRED');
      await Promise.all(
        ['workflows', 'orders', 'shipping'].map((r) =>
          stage.startWorker(r as WorkerRole, `replay-capture-${r}-restarted`),
        ),
      );
      stage.log('  the window ended with nobody polling; workers restarted');
    },
    check: (history) => {
      // a retried attempt is recorded only as the next attempt's start, with the timeout as its last failure
      const retried = (history.events ?? []).some((e) => {
        const started = e.activityTaskStartedEventAttributes;
        return (started?.attempt ?? 0) >= 2 && started?.lastFailure?.timeoutFailureInfo;
      });
      if (!retried) throw new Error('no activity attempt was retried after a timeout');
    },
    after: () => {
      frozen?.kill('SIGKILL');
      frozen = undefined;
      return Promise.resolve();
    },
  },
  // The carrier fails every call (the breaker opens; Temporal retries the shipment) and then recovers.
  'carrier-outage': {
    expect: 'COMPLETED',
    input: () => orderInput({ tuning: { ...FAST, shipmentBudgetMs: 120_000 } }),
    before: (stage) => setCarrier(stage, 1),
    during: async (stage, handle) => {
      await eventually(
        async () => {
          const n = await pendingAttempts(handle);
          if (n < 4) throw new Error(`the shipment is at attempt ${n}`);
        },
        { what: 'the fourth shipment attempt', intervalMs: 200 },
      );
      stage.log(`  shipment attempts so far: ${await pendingAttempts(handle)}; the carrier recovers`);
      await setCarrier(stage, 0);
    },
    after: (stage) => setCarrier(stage, 0),
  },
  // The shipment budget runs out while the booking is under way, and the parcel is dispatched after all.
  // Writes to shipping.events are held until the budget has run out (the first attempt waits at its first
  // write); the shipping worker has one slot, so the undo (cancelShipment) runs only once that attempt has
  // recorded the dispatch. The undo is refused (ShipmentAlreadyDispatched), the saga keeps the shipment and
  // completes the order.
  'shipment-dispatched-after-budget': {
    expect: 'COMPLETED',
    input: () => orderInput({ tuning: { ...FAST, shipmentBudgetMs: 2000 } }),
    before: async (stage) => {
      await stage.stopWorker('shipping');
      await stage.startWorker('shipping', 'replay-capture-shipping-one-slot', {
        maxConcurrentActivityTaskExecutions: 1,
      });
      writeHold = await holdWrites(stage.pool, 'shipping.events');
    },
    during: async (stage, handle) => {
      await waitForHistoryEvent(handle, 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT');
      stage.log('  the shipment budget ran out while the first attempt waits at its write');
      await releaseHold();
    },
    check: (history, result) => {
      const failed = (history.events ?? []).some(
        (e) =>
          e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type ===
          'ShipmentAlreadyDispatched',
      );
      if (!failed) throw new Error('cancelShipment was not refused as ShipmentAlreadyDispatched');
      if (result.compensationsRun.length !== 0)
        throw new Error(`undid ${result.compensationsRun.join(', ')}`);
    },
    after: async (stage) => {
      await releaseHold();
      await stage.stopWorker('shipping');
      await stage.startWorker('shipping');
    },
  },
  // The carrier stays down longer than the shipment budget: CarrierUnavailable, everything compensated.
  'carrier-down-too-long': {
    expect: 'FAILED',
    input: () => orderInput({ tuning: { ...FAST, shipmentBudgetMs: 3000 } }),
    before: (stage) => setCarrier(stage, 1),
    check: (_h, result) => {
      if (result.failure?.type !== 'CarrierUnavailable')
        throw new Error(`failed with ${result.failure?.type}`);
    },
    after: (stage) => setCarrier(stage, 0),
  },
};
