/**
 * The step helper of the order saga, so that `orderSaga` reads like its step table: each activity call gets
 * its Web UI summary and its idempotency key; each step registers its undo first, stops for an accepted
 * cancel and records where the saga is; the unwinding, the blocked undo and the end of the saga are here too.
 * The rules behind them (undo before the step, outcomes as results, COMPENSATION_BLOCKED) are in
 * src/workflows/README.md.
 */
import {
  type ActivityFunctionWithOptions,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type RoleActivity,
  sagaActivities,
  type SagaActivities,
  type SagaActivityName,
  type SagaRole,
  type StepArgs,
  type StepResult,
} from './activity-proxies';
import { Compensations } from './compensations';
import type { OrderSagaInput, OrderSagaResult, SagaStateName } from './contracts';
import { CancelRequested, classify, errorMessage, errorType } from './failures';
import { setSagaHandlers } from './handlers';
import { sagaMetrics } from './metrics-sink';
import { SagaState } from './saga-state';
import { CustomerIdKey, OrderStatusKey } from './search-attributes';
import { ACTIVITY_SUMMARIES } from './summaries';

/**
 * The idempotency key of each activity call is `<workflowId>/<suffix>`: the services dedupe a retried call
 * by it, so a suffix never changes. validateDestination has none (it only reads).
 */
const STEP_KEYS: Partial<Record<SagaActivityName, string>> = {
  placeOrder: 'place-order',
  rejectOrder: 'reject-order',
  reserveStock: 'reserve-stock',
  releaseStock: 'release-stock',
  markOrderInventoryReserved: 'mark-reserved',
  chargePayment: 'charge-payment',
  refundPayment: 'refund-payment',
  markOrderPaid: 'mark-paid',
  createShipment: 'create-shipment',
  cancelShipment: 'cancel-shipment',
  commitStock: 'commit-stock',
  completeOrder: 'complete-order',
};

/** The saga's activities by role, called with what the step means; key and summary are added. */
export type SagaCalls = {
  [R in SagaRole]: { [K in RoleActivity<R>]: (args: StepArgs<K>) => Promise<StepResult<K>> };
};

type Activity = ActivityFunctionWithOptions<(args: object) => Promise<unknown>>;

export interface StepOptions {
  /** the undo of this step, registered before the step runs (its effect may land although it fails) */
  undo?: [name: string, undo: () => Promise<unknown>];
  /** run the step although a cancel was accepted before it (evaluated only then) */
  evenIfCancelled?: () => boolean;
}

export class SagaSteps {
  readonly state: SagaState;
  readonly activities: SagaCalls;
  private readonly undos = new Compensations();
  private readonly startedAt = Date.now();
  private readonly workflowId = workflowInfo().workflowId;

  private constructor(private readonly input: OrderSagaInput) {
    this.state = new SagaState(input);
    this.activities = this.withSummariesAndKeys(sagaActivities(input.tuning));
  }

  /** Starts a saga: handlers, search attributes, the started metric. */
  static start(input: OrderSagaInput): SagaSteps {
    const saga = new SagaSteps(input);
    setSagaHandlers(saga.state);
    upsertSearchAttributes([
      { key: CustomerIdKey, value: input.customerId },
      { key: OrderStatusKey, value: 'PENDING' },
    ]);
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

  /** One forward step: its undo first, then the cancellation check, then the call. */
  async step<T>(name: string, run: () => Promise<T>, options: StepOptions = {}): Promise<T> {
    if (options.undo) this.undos.push(...options.undo);
    this.stopIfCancelled(options.evenIfCancelled);
    this.state.currentStep = name;
    const result = await run();
    this.state.completedSteps.push(name);
    return result;
  }

  /** Stops the forward path (the saga compensates) if a cancel was accepted. */
  stopIfCancelled(evenIfCancelled?: () => boolean): void {
    if (this.state.cancel && !(evenIfCancelled?.() ?? false)) throw new CancelRequested();
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

  /** The end of a shipped order. */
  async completed(trackingNumber: string): Promise<OrderSagaResult> {
    const { orderId, completedSteps, compensationsRun } = this.state;
    completedSteps.push('completeOrder');
    this.moveTo('COMPLETED');
    sagaMetrics.completed(Date.now() - this.startedAt);
    log.info('order saga completed', { orderId, trackingNumber });
    await condition(allHandlersFinished);
    return { orderId, status: 'COMPLETED', state: this.state.state, trackingNumber, compensationsRun };
  }

  /** The forward path stopped: classify why, unwind the undos newest-first (also when cancelled), end. */
  async compensate(err: unknown): Promise<OrderSagaResult> {
    const s = this.state;
    // a Temporal cancellation of the workflow is a cancellation of the order too
    if (!s.cancel && isCancellation(err)) s.cancel = { reason: 'workflow cancelled through Temporal' };
    s.failure = classify(s.currentStep, err, s.cancel);
    log.warn('order saga compensating', { orderId: s.orderId, ...s.failure });
    return CancellationScope.nonCancellable(async () => {
      this.moveTo('COMPENSATING');
      await this.undos.unwind({
        onRun: (name) => log.info('compensation started', { orderId: s.orderId, compensation: name }),
        onDone: (name) => {
          s.compensationsRun.push(name);
          sagaMetrics.compensationRun(name);
        },
        onBlocked: (name, error) => this.waitForRetry(name, error),
      });
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

  /** An undo ran out of its retry budget: park in COMPENSATION_BLOCKED until the retryCompensation signal. */
  private async waitForRetry(compensation: string, error: unknown): Promise<void> {
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
    this.moveTo('COMPENSATING');
  }

  /** Each activity, called with the step's arguments plus its key, request id and summary. */
  private withSummariesAndKeys(activities: SagaActivities): SagaCalls {
    const call = (name: SagaActivityName, activity: Activity) => (args: object) =>
      activity.executeWithOptions({ summary: ACTIVITY_SUMMARIES[name](this.input, args as never) }, [
        { ...args, ...this.stepKey(name) },
      ]);
    const role = (group: object) =>
      Object.fromEntries(
        Object.entries(group as Record<SagaActivityName, Activity>).map(([name, activity]) => [
          name,
          call(name as SagaActivityName, activity),
        ]),
      );
    return Object.fromEntries(
      Object.entries(activities).map(([name, group]) => [name, role(group as object)]),
    ) as SagaCalls;
  }

  /** `key` (`<workflowId>/<suffix>`) and the gateway's request id, so every event of the order carries it. */
  private stepKey(name: SagaActivityName): { key?: string; requestId?: string } {
    const suffix = STEP_KEYS[name];
    if (suffix === undefined) return {};
    const { requestId } = this.input;
    return { key: `${this.workflowId}/${suffix}`, ...(requestId !== undefined ? { requestId } : {}) };
  }
}
