/**
 * The step helper of the order saga, so that `orderSaga` reads like its step table: each step stops for an
 * accepted cancel, registers its undo and records where the saga is; the unwinding, the blocked undo, the
 * bookkeeping after shipping and the end of the saga are here too. How each activity is called (summary,
 * idempotency key, local or not) is in step-calls.ts. The rules behind them (undo before the step, outcomes
 * as results, COMPENSATION_BLOCKED) are in src/workflows/README.md.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { Compensations } from './compensations';
import type { OrderSagaInput, OrderSagaResult, SagaStateName } from './contracts';
import { CancelRequested, classify, errorMessage, errorType, isStepFailure } from './failures';
import { setSagaHandlers } from './handlers';
import { sagaMetrics } from './metrics-sink';
import {
  applies,
  localOrderSteps,
  PATCH_CANCEL_BEFORE_UNDO,
  PATCH_KEEP_DISPATCHED_SHIPMENT,
  PATCH_PARK_AFTER_SHIPPING,
} from './patches';
import { SagaState } from './saga-state';
import { CustomerIdKey, OrderStatusKey } from './search-attributes';
import { sagaCalls, type SagaCalls } from './step-calls';

export interface StepOptions {
  /** the undo of this step, registered before the step runs (its effect may land although it fails) */
  undo?: [name: string, undo: () => Promise<unknown>];
  /** run the step although a cancel was accepted before it (evaluated only then) */
  evenIfCancelled?: () => boolean;
}

/** What `compensate` returns when the shipment's undo was refused because the parcel has left. */
export const SHIPMENT_KEPT = 'shipment-kept';

export class SagaSteps {
  readonly state: SagaState;
  readonly activities: SagaCalls;
  private readonly undos = new Compensations();
  private readonly startedAt = Date.now();
  /** set once the bookkeeping after shipping ignores a Temporal cancel (patch park-bookkeeping-after-shipping) */
  private shippedRegardless = false;

  private constructor(input: OrderSagaInput) {
    this.state = new SagaState(input);
    this.activities = sagaCalls(input);
  }

  /** Starts a saga: handlers, search attributes (older sagas), the started metric. */
  static start(input: OrderSagaInput): SagaSteps {
    const saga = new SagaSteps(input);
    setSagaHandlers(saga.state);
    // the start options set CustomerId and OrderStatus=PENDING (orderSagaStartOptions); older sagas set them again
    if (!localOrderSteps()) {
      upsertSearchAttributes([
        { key: CustomerIdKey, value: input.customerId },
        { key: OrderStatusKey, value: 'PENDING' },
      ]);
    }
    // a cancel through Temporal is recorded when it arrives, also while the saga is compensating or blocked
    CancellationScope.current().cancelRequested.catch(() => {
      saga.state.temporalCancelRequestedAt ??= new Date().toISOString();
      log.warn('workflow cancel requested through Temporal', {
        orderId: input.orderId,
        state: saga.state.state,
      });
    });
    sagaMetrics.started();
    log.info('order saga started', {
      orderId: input.orderId,
      customerId: input.customerId,
      total: input.total,
    });
    return saga;
  }

  /** Moves the state machine; the OrderStatus search attribute follows when the coarse status changes. */
  moveTo(to: SagaStateName): void {
    const status = this.state.moveTo(to, new Date());
    if (status) upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
  }

  /** One forward step: the cancellation check, then its undo, then the call. */
  async step<T>(name: string, run: () => Promise<T>, options: StepOptions = {}): Promise<T> {
    if (this.state.cancel && !(options.evenIfCancelled?.() ?? false)) {
      // older sagas registered the step's undo before this check: it ran, and did nothing
      if (options.undo && !applies(PATCH_CANCEL_BEFORE_UNDO)) this.undos.push(...options.undo);
      throw new CancelRequested();
    }
    if (options.undo) this.undos.push(...options.undo);
    this.state.currentStep = name;
    const result = await run();
    this.state.completedSteps.push(name);
    return result;
  }

  /** Stops the forward path (the saga compensates) if a cancel was accepted. */
  stopIfCancelled(): void {
    if (this.state.cancel) throw new CancelRequested();
  }

  /** A durable timer in which the customer can still cancel; ends early on a cancel. 0 = no window. */
  async cancellationWindow(ms: number): Promise<void> {
    if (ms <= 0 || this.state.cancel) return;
    this.state.currentStep = 'cancellationWindow';
    const start = Date.now();
    const cancelled = await condition(() => this.state.cancel !== undefined, ms);
    sagaMetrics.cancellationWindow(Date.now() - start, cancelled);
    if (!cancelled) this.state.completedSteps.push('cancellationWindow');
  }

  /**
   * Bookkeeping after shipping: nothing can be undone any more, so a Temporal cancel does not stop it, and a
   * failure parks the saga in COMPENSATION_BLOCKED until retryCompensation instead of failing the workflow.
   */
  async settle(name: string, run: () => Promise<unknown>): Promise<void> {
    if (!applies(PATCH_PARK_AFTER_SHIPPING)) {
      await run(); // older sagas: a failure fails the workflow
      return;
    }
    this.state.currentStep = name;
    this.shippedRegardless = true;
    await CancellationScope.nonCancellable(async () => {
      for (;;) {
        try {
          await run();
          return;
        } catch (err) {
          if (!isStepFailure(err)) throw err;
          await this.waitForRetry(name, err, 'ORDER_SHIPPED');
        }
      }
    });
  }

  /** The end of a shipped order. */
  async completed(trackingNumber: string): Promise<OrderSagaResult> {
    const { orderId, completedSteps, compensationsRun } = this.state;
    completedSteps.push('completeOrder');
    this.moveTo('COMPLETED');
    sagaMetrics.completed(Date.now() - this.startedAt);
    log.info('order saga completed', { orderId, trackingNumber });
    // a Temporal cancel after shipping changes nothing (its request is shown in the query)
    if (this.shippedRegardless) await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    else await condition(allHandlersFinished);
    return { orderId, status: 'COMPLETED', state: this.state.state, trackingNumber, compensationsRun };
  }

  /**
   * The forward path stopped: classify why, unwind the undos newest-first (also when cancelled), end. Returns
   * SHIPMENT_KEPT instead when the shipment's undo was refused because the parcel has left (the budget ran out
   * while the last booking landed): nothing was undone, and the saga completes the order.
   */
  async compensate(err: unknown): Promise<OrderSagaResult | typeof SHIPMENT_KEPT> {
    const s = this.state;
    // a Temporal cancellation of the workflow is a cancellation of the order too
    if (!s.cancel && isCancellation(err)) s.cancel = { reason: 'workflow cancelled through Temporal' };
    s.failure = classify(s.currentStep, err, s.cancel);
    log.warn('order saga compensating', { orderId: s.orderId, ...s.failure });
    return CancellationScope.nonCancellable(async () => {
      this.moveTo('COMPENSATING');
      const unwound = await this.undos.unwind({
        onRun: (name) => log.info('compensation started', { orderId: s.orderId, compensation: name }),
        onDone: (name) => {
          s.compensationsRun.push(name);
          sagaMetrics.compensationRun(name);
        },
        onBlocked: (name, error) => this.waitForRetry(name, error),
        stands: (name, error) =>
          name === 'cancelShipment' &&
          errorType(error) === 'ShipmentAlreadyDispatched' &&
          s.failure?.type !== 'Cancelled' &&
          applies(PATCH_KEEP_DISPATCHED_SHIPMENT),
      });
      if (unwound.stoppedAt !== undefined) {
        log.warn('the shipment was dispatched after all: keeping it and completing the order', {
          orderId: s.orderId,
          failure: s.failure,
        });
        s.failure = undefined;
        return SHIPMENT_KEPT;
      }
      const outcome = s.outcome;
      this.moveTo(outcome);
      const duration = Date.now() - this.startedAt;
      const f = s.failure ?? { step: s.currentStep, type: 'Unknown', message: 'unknown' };
      if (outcome === 'CANCELLED') sagaMetrics.cancelled(f.step, duration);
      else sagaMetrics.failed(f.step, f.type, duration);
      log.info('order saga ended', { orderId: s.orderId, outcome, compensationsRun: s.compensationsRun });
      await condition(allHandlersFinished);
      return {
        orderId: s.orderId,
        status: outcome,
        state: s.state,
        failure: f,
        compensationsRun: s.compensationsRun,
      };
    });
  }

  /**
   * An undo (or the bookkeeping after shipping) ran out of its retry budget or was refused: park in
   * COMPENSATION_BLOCKED until the retryCompensation signal, then go back to `resume` and try it again.
   */
  private async waitForRetry(
    compensation: string,
    error: unknown,
    resume: SagaStateName = 'COMPENSATING',
  ): Promise<void> {
    const s = this.state;
    const message = errorMessage(error);
    s.blocked = { compensation, error: message };
    sagaMetrics.compensationFailed(compensation, errorType(error));
    log.error('compensation blocked; waiting for the retryCompensation signal', {
      orderId: s.orderId,
      compensation,
      error: message,
    });
    this.moveTo('COMPENSATION_BLOCKED');
    s.retryRequested = false;
    await condition(() => s.retryRequested);
    s.blocked = undefined;
    this.moveTo(resume);
  }
}
