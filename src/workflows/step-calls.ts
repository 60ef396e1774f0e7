/**
 * How the saga calls an activity: with the step's Web UI summary, its idempotency key and the gateway's
 * request id, and, for the orders service's own steps in sagas that have the local-order-steps patch, as a
 * local activity of the orders worker instead of an activity on the `orders` queue (same function, key and
 * retry policy; src/workflows/README.md, "Local activities").
 */
import { workflowInfo } from '@temporalio/workflow';
import {
  isOrdersStep,
  localSagaActivities,
  type RoleActivity,
  sagaActivities,
  type SagaActivityName,
  type SagaRole,
  type StepArgs,
  type StepResult,
} from './activity-proxies';
import type { OrderSagaInput } from './contracts';
import { localOrderSteps } from './patches';
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

/** What an activity and a local activity proxy have in common. */
interface Callable {
  executeWithOptions(options: { summary: string }, args: [object]): Promise<unknown>;
}

export function sagaCalls(input: OrderSagaInput): SagaCalls {
  const remote = sagaActivities(input.tuning);
  const local = localSagaActivities(input.tuning) as Record<string, Callable>;
  const { workflowId } = workflowInfo();
  const { requestId } = input;

  /** `key` (`<workflowId>/<suffix>`) and the gateway's request id, so every event of the order carries it. */
  const stepKey = (name: SagaActivityName): { key?: string; requestId?: string } => {
    const suffix = STEP_KEYS[name];
    if (suffix === undefined) return {};
    return { key: `${workflowId}/${suffix}`, ...(requestId !== undefined ? { requestId } : {}) };
  };
  const call = (name: SagaActivityName, activity: Callable) => (args: object) => {
    // decided per call: a saga started before the patch replays its activities, and goes local once it runs
    // on past its recorded history
    const callable = isOrdersStep(name) && localOrderSteps() ? local[name]! : activity;
    return callable.executeWithOptions({ summary: ACTIVITY_SUMMARIES[name](input, args as never) }, [
      { ...args, ...stepKey(name) },
    ]);
  };
  const role = (group: object) =>
    Object.fromEntries(
      Object.entries(group as Record<SagaActivityName, Callable>).map(([name, activity]) => [
        name,
        call(name as SagaActivityName, activity),
      ]),
    );
  return Object.fromEntries(
    Object.entries(remote).map(([name, group]) => [name, role(group as object)]),
  ) as SagaCalls;
}
