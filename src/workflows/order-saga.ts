/**
 * The order saga: place order → (check destination) → reserve stock → charge → cancellation window →
 * create shipment → complete. Every step's undo is pushed on the compensation stack *before* the step, and
 * on a business refusal, an exhausted retry budget or a customer cancellation the stack unwinds
 * newest-first (compensations.ts). Business outcomes are returned as an OrderSagaResult (see contracts.ts);
 * the workflow only fails on bugs.
 *
 * Resuming a blocked saga: when an undo exhausts its retry budget the saga parks in COMPENSATION_BLOCKED
 * (OrderStatus search attribute + `sagaState.blocked`); fix the cause and send the `retryCompensation`
 * signal: the same undo is retried with a fresh budget and the unwinding continues.
 *
 * Versioning (one real example below, PATCH_VALIDATE_DESTINATION): a change that alters the commands a
 * running saga would replay ships in three releases:
 *   1. `if (patched(id)) { new } else { old }` — new sagas take the new path, sagas started by the old code
 *      replay the old one (their histories have no marker);
 *   2. when no saga started before release 1 is still open (and its histories left the replay suite's
 *      "must still replay" set), replace the branch with `deprecatePatch(id); new` — histories with the
 *      marker still replay, new ones no longer need the old branch;
 *   3. when no saga started before release 2 is open, remove `deprecatePatch(id)` too.
 * The replay tests (test/replay) run every committed history against the current code to prove each step.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { sagaActivities, NON_RETRYABLE_TYPES } from './activity-proxies';
import { Compensations } from './compensations';
import {
  cancelOrderUpdate,
  type CancelOrderRequest,
  type OrderSagaInput,
  type OrderSagaResult,
  type OrderStatus,
  retryCompensationSignal,
  type SagaFailure,
  sagaStateQuery,
  type SagaStateName,
  type SagaStateView,
} from './contracts';
import { sagaMetrics } from './metrics-sink';
import { CANCELLABLE_STATES, isTerminal, SagaStateMachine } from './saga-state';
import { CustomerIdKey, OrderStatusKey } from './search-attributes';

/** v2: refuse an unsupported destination before any stock or money moves (old sagas: at shipment). */
export const PATCH_VALIDATE_DESTINATION = 'validate-destination-before-reserve';
/** v3: place the order even when a cancel was accepted before it (old sagas: unwind without placing). */
export const PATCH_PLACE_ORDER_ALWAYS = 'place-order-even-if-cancelled';

class CancelRequested extends Error {}

const usd = (cents: number) => `$${(cents / 100).toFixed(2)}`;

export async function orderSaga(input: OrderSagaInput): Promise<OrderSagaResult> {
  const { orderId, customerId } = input;
  const { workflowId } = workflowInfo();
  const startedAt = Date.now();
  const key = (step: string) => `${workflowId}/${step}`;
  /** the step's idempotency key, and the gateway's request id so every event of the order carries it */
  const stepKey = (step: string) => ({
    key: key(step),
    ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
  });
  const acts = sagaActivities(input.tuning);
  const machine = new SagaStateMachine();
  const undo = new Compensations();
  const completedSteps: string[] = [];
  const compensationsRun: string[] = [];
  let currentStep = 'start';
  let failure: SagaFailure | undefined;
  let blocked: { compensation: string; error: string } | undefined;
  let cancel: CancelOrderRequest | undefined;
  let retryRequested = false;
  let trackingNumber: string | undefined;
  let shipmentId = orderId;
  let shownStatus: OrderStatus = 'PENDING';

  const view = (): SagaStateView => ({
    orderId,
    customerId,
    state: machine.state,
    status: machine.status,
    completedSteps: [...completedSteps],
    compensationsRun: [...compensationsRun],
    ...(failure ? { failure } : {}),
    ...(blocked ? { blocked } : {}),
    transitions: [...machine.transitions],
    order: {
      lines: input.lines,
      total: input.total,
      currency: input.currency,
      shippingAddress: input.shippingAddress,
      placedAt: input.placedAt,
    },
  });

  const moveTo = (to: SagaStateName) => {
    machine.transition(to, new Date());
    if (machine.status !== shownStatus) {
      shownStatus = machine.status;
      upsertSearchAttributes([{ key: OrderStatusKey, value: shownStatus }]);
    }
  };

  setHandler(sagaStateQuery, view);
  setHandler(retryCompensationSignal, () => {
    retryRequested = true;
  });
  setHandler(
    cancelOrderUpdate,
    async (req) => {
      cancel ??= { reason: req.reason ?? 'cancelled by the customer', requestedBy: req.requestedBy };
      log.info('cancellation accepted', { orderId, state: machine.state, reason: cancel.reason });
      await condition(() => isTerminal(machine.state) || machine.state === 'COMPENSATION_BLOCKED');
      return { orderId, accepted: true as const, status: machine.status, state: machine.state };
    },
    {
      validator: (_req: CancelOrderRequest) => {
        if (cancel) return; // already cancelling: the repeat is answered with the same outcome
        if (!CANCELLABLE_STATES.includes(machine.state)) {
          throw new Error(`Order ${orderId} can no longer be cancelled (state ${machine.state})`);
        }
      },
      description: 'Cancel the order while it has not shipped; compensations run and it ends CANCELLED.',
    },
  );

  upsertSearchAttributes([
    { key: CustomerIdKey, value: customerId },
    { key: OrderStatusKey, value: 'PENDING' },
  ]);
  sagaMetrics.started();
  log.info('order saga started', { orderId, customerId, total: input.total });

  /**
   * Runs one forward step; a cancellation requested meanwhile stops the saga before the next step.
   * `recordEvenIfCancelled`: placing the order always runs, so an order cancelled before it was recorded
   * still gets its OrderPlaced → OrderCancelled audit trail and read-model row (found by the chaos suite:
   * a cancel accepted in STARTED used to leave no trace of the order in Postgres). Behind a patch: a saga
   * started before it, cancelled before placing, replays the old path (no placeOrder).
   */
  const step = async <T>(name: string, fn: () => Promise<T>, recordEvenIfCancelled = false): Promise<T> => {
    if (cancel && !(recordEvenIfCancelled && patched(PATCH_PLACE_ORDER_ALWAYS))) throw new CancelRequested();
    currentStep = name;
    const result = await fn();
    completedSteps.push(name);
    return result;
  };

  try {
    undo.push('rejectOrder', () =>
      acts.ordersUndo.rejectOrder.executeWithOptions(
        { summary: `Mark order ${orderId} ${cancel ? 'CANCELLED' : 'FAILED'}: ${failure?.message ?? ''}` },
        [
          {
            orderId,
            outcome: cancel ? 'CANCELLED' : 'FAILED',
            reason: failure?.message ?? 'unknown',
            step: failure?.step ?? currentStep,
            ...stepKey('reject-order'),
          },
        ],
      ),
    );
    await step(
      'placeOrder',
      () =>
        acts.orders.placeOrder.executeWithOptions(
          { summary: `Place order ${orderId} for ${usd(input.total)}` },
          [
            {
              orderId,
              customerId,
              lines: input.lines,
              total: input.total,
              currency: input.currency,
              shippingAddress: input.shippingAddress,
              placedAt: input.placedAt,
              ...stepKey('place-order'),
            },
          ],
        ),
      true,
    );
    moveTo('ORDER_PLACED');

    if (patched(PATCH_VALIDATE_DESTINATION)) {
      await step('validateDestination', () =>
        acts.shipping.validateDestination.executeWithOptions(
          { summary: `Check the carrier ships to ${input.shippingAddress.country}` },
          [{ orderId, country: input.shippingAddress.country }],
        ),
      );
    }

    const items = input.lines.map((l) => `${l.quantity}×${l.sku}`).join(', ');
    undo.push('releaseStock', () =>
      acts.inventoryUndo.releaseStock.executeWithOptions({ summary: `Release ${items}` }, [
        { orderId, lines: input.lines, ...stepKey('release-stock') },
      ]),
    );
    await step('reserveStock', () =>
      acts.inventory.reserveStock.executeWithOptions({ summary: `Reserve ${items}` }, [
        { orderId, lines: input.lines, ...stepKey('reserve-stock') },
      ]),
    );
    await acts.orders.markOrderInventoryReserved.executeWithOptions(
      { summary: `Order ${orderId}: inventory reserved` },
      [{ orderId, ...stepKey('mark-reserved') }],
    );
    moveTo('INVENTORY_RESERVED');

    undo.push('refundPayment', () =>
      acts.paymentsUndo.refundPayment.executeWithOptions(
        { summary: `Refund ${usd(input.total)} to ${customerId}` },
        [{ orderId, customerId, ...stepKey('refund-payment') }],
      ),
    );
    await step('chargePayment', () =>
      acts.payments.chargePayment.executeWithOptions(
        { summary: `Charge ${usd(input.total)} to ${customerId}` },
        [{ orderId, customerId, amount: input.total, ...stepKey('charge-payment') }],
      ),
    );
    await acts.orders.markOrderPaid.executeWithOptions(
      { summary: `Order ${orderId}: paid ${usd(input.total)}` },
      [{ orderId, amount: input.total, ...stepKey('mark-paid') }],
    );
    moveTo('PAYMENT_COMPLETED');

    if (input.cancellationWindowMs > 0 && !cancel) {
      currentStep = 'cancellationWindow';
      const windowStart = Date.now();
      const cancelledInWindow = await condition(() => cancel !== undefined, input.cancellationWindowMs);
      sagaMetrics.cancellationWindow(Date.now() - windowStart, cancelledInWindow);
      if (!cancelledInWindow) completedSteps.push('cancellationWindow');
    }
    if (cancel) throw new CancelRequested();
    moveTo('AWAITING_SHIPMENT');

    undo.push('cancelShipment', () =>
      acts.shippingUndo.cancelShipment.executeWithOptions({ summary: `Cancel the shipment of ${orderId}` }, [
        { orderId, reason: failure?.message ?? 'saga compensation', ...stepKey('cancel-shipment') },
      ]),
    );
    const shipment = await step('createShipment', () =>
      acts.shipment.createShipment.executeWithOptions(
        { summary: `Ship ${items} to ${input.shippingAddress.city}, ${input.shippingAddress.country}` },
        [{ orderId, address: input.shippingAddress, lines: input.lines, ...stepKey('create-shipment') }],
      ),
    );
    trackingNumber = shipment.trackingNumber;
    shipmentId = shipment.shipmentId;
    moveTo('ORDER_SHIPPED');
  } catch (err) {
    // a Temporal cancellation of the workflow is a cancellation of the order too
    if (!cancel && isCancellation(err)) cancel = { reason: 'workflow cancelled through Temporal' };
    failure = classify(currentStep, err, cancel);
    log.warn('order saga compensating', { orderId, ...failure });
    return await compensate();
  }

  // Shipped: nothing can be undone any more; the remaining bookkeeping only retries.
  await acts.inventoryUndo.commitStock.executeWithOptions(
    { summary: `Commit the shipped stock of ${orderId}` },
    [{ orderId, lines: input.lines, ...stepKey('commit-stock') }],
  );
  await acts.ordersUndo.completeOrder.executeWithOptions(
    { summary: `Order ${orderId} shipped (${trackingNumber}) and completed` },
    [{ orderId, shipmentId, trackingNumber, ...stepKey('complete-order') }],
  );
  completedSteps.push('completeOrder');
  moveTo('COMPLETED');
  sagaMetrics.completed(Date.now() - startedAt);
  log.info('order saga completed', { orderId, trackingNumber });
  await condition(allHandlersFinished);
  return { orderId, status: 'COMPLETED', state: machine.state, trackingNumber, compensationsRun };

  async function compensate(): Promise<OrderSagaResult> {
    return CancellationScope.nonCancellable(async () => {
      moveTo('COMPENSATING');
      await undo.unwind({
        onRun: (name) => log.info('compensation started', { orderId, compensation: name }),
        onDone: (name) => {
          compensationsRun.push(name);
          sagaMetrics.compensationRun(name);
        },
        onBlocked: async (name, error) => {
          const message = errorMessage(error);
          blocked = { compensation: name, error: message };
          sagaMetrics.compensationFailed(name, errorType(error));
          log.error('compensation blocked; waiting for the retryCompensation signal', {
            orderId,
            compensation: name,
            error: message,
          });
          moveTo('COMPENSATION_BLOCKED');
          retryRequested = false;
          await condition(() => retryRequested);
          blocked = undefined;
          moveTo('COMPENSATING');
        },
      });
      const outcome = cancel ? 'CANCELLED' : 'FAILED';
      moveTo(outcome);
      const duration = Date.now() - startedAt;
      const f = failure ?? { step: currentStep, type: 'Unknown', message: 'unknown' };
      if (outcome === 'CANCELLED') sagaMetrics.cancelled(f.step, duration);
      else sagaMetrics.failed(f.step, f.type, duration);
      log.info('order saga ended', { orderId, outcome, compensationsRun });
      await condition(allHandlersFinished);
      return { orderId, status: outcome, state: machine.state, failure: f, compensationsRun };
    });
  }
}

/** Maps what stopped the forward path to a typed failure; anything unexpected is a bug and is rethrown. */
function classify(step: string, err: unknown, cancel: CancelOrderRequest | undefined): SagaFailure {
  if (err instanceof CancelRequested || (cancel && isCancellation(err))) {
    return { step, type: 'Cancelled', message: cancel?.reason ?? 'cancelled' };
  }
  if (isCancellation(err)) return { step, type: 'Cancelled', message: 'workflow cancelled' };
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type && NON_RETRYABLE_TYPES.includes(cause.type)) {
      return { step, type: cause.type, message: cause.message };
    }
    if (step === 'createShipment') {
      return { step, type: 'CarrierUnavailable', message: `carrier unavailable: ${errorMessage(err)}` };
    }
    return { step, type: 'RetriesExhausted', message: errorMessage(err) };
  }
  throw err;
}

function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return errorMessage(err.cause);
  if (err instanceof Error) return err.message;
  return String(err);
}

function errorType(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return errorType(err.cause);
  if (err instanceof ApplicationFailure && err.type) return err.type;
  return err instanceof Error ? err.name : 'Unknown';
}
