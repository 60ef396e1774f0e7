/**
 * The saga's activities grouped by the role they play, each role with its retry policy: forward steps, the
 * carrier step, compensations, and the bookkeeping after shipment that can only retry. The orders service's
 * own steps also come as local activities (run by the orders worker inside the saga's workflow task), with
 * the same policy. Why these policies: src/workflows/README.md ("Retry budgets", "Local activities").
 */
import {
  ActivityCancellationType,
  type ActivityOptions,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/common';
import {
  type ActivityInterfaceFor,
  type LocalActivityInterfaceFor,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { InventoryActivities } from '../activities/inventory';
import type { OrderActivities } from '../activities/orders';
import type { PaymentActivities } from '../activities/payments';
import type { ShippingActivities } from '../activities/shipping';
import { BUSINESS_ERROR_TYPES, type SagaTuning, TASK_QUEUES } from './contracts';

export const NON_RETRYABLE_TYPES: string[] = [
  ...BUSINESS_ERROR_TYPES,
  'InvalidAmount',
  'InvalidCommand',
  'InvalidTransition',
  'UnknownSku',
  'ShipmentAlreadyDispatched',
];

/** Production defaults (documented here, overridable per saga through input.tuning). */
export const DEFAULTS = {
  retryInitialIntervalMs: 500,
  retryMaximumIntervalMs: 30_000,
  /** attempts of a forward step other than shipment: ~5 minutes of backoff at most */
  forwardMaxAttempts: 15,
  /** the carrier may be down for a while: keep trying for up to 15 minutes, then fail CarrierUnavailable */
  shipmentBudgetMs: 15 * 60_000,
  /** each undo: 25 attempts with backoff up to 1 minute (~20 minutes), then COMPENSATION_BLOCKED */
  compensationMaxAttempts: 25,
  compensationMaximumIntervalMs: 60_000,
  /** one attempt; a worker crash is detected after this long (activities do not heartbeat: they are short) */
  attemptTimeoutMs: 30_000,
  /**
   * local activities: a retry whose backoff is at most this long waits inside the workflow task (no history);
   * a longer one becomes a durable timer, so the attempt count and the budget survive a worker crash
   */
  localRetryThresholdMs: 5_000,
} as const;

type AllActivities = OrderActivities & InventoryActivities & PaymentActivities & ShippingActivities;

/** The activities of each role, by name (each activity has exactly one role). */
const ROLES = {
  forward: [
    'placeOrder',
    'validateDestination',
    'reserveStock',
    'markOrderInventoryReserved',
    'chargePayment',
    'markOrderPaid',
  ],
  carrier: ['createShipment'],
  compensations: ['rejectOrder', 'releaseStock', 'refundPayment', 'cancelShipment'],
  bookkeeping: ['commitStock', 'completeOrder'],
} as const satisfies Record<string, readonly (keyof AllActivities)[]>;

export type SagaRole = keyof typeof ROLES;
/** The activities of a role that the orders service runs itself (task queue `orders`, the saga's own). */
export type LocalActivityName = {
  [K in SagaActivityName]: (typeof QUEUE)[K] extends 'orders' ? K : never;
}[SagaActivityName];
export type SagaActivityName = RoleActivity<SagaRole>;
export type SagaActivities = {
  [R in SagaRole]: ActivityInterfaceFor<Pick<AllActivities, RoleActivity<R>>>;
};
export type RoleActivity<R extends SagaRole> = (typeof ROLES)[R][number];
/** What the saga passes to an activity; the step helper adds the idempotency key and request id. */
export type StepArgs<K extends SagaActivityName> = Omit<Parameters<AllActivities[K]>[0], 'key' | 'requestId'>;
export type StepResult<K extends SagaActivityName> = Awaited<ReturnType<AllActivities[K]>>;

/** The task queue (service) of each activity. */
const QUEUE = {
  placeOrder: TASK_QUEUES.orders,
  markOrderInventoryReserved: TASK_QUEUES.orders,
  markOrderPaid: TASK_QUEUES.orders,
  completeOrder: TASK_QUEUES.orders,
  rejectOrder: TASK_QUEUES.orders,
  reserveStock: TASK_QUEUES.inventory,
  releaseStock: TASK_QUEUES.inventory,
  commitStock: TASK_QUEUES.inventory,
  chargePayment: TASK_QUEUES.payments,
  refundPayment: TASK_QUEUES.payments,
  validateDestination: TASK_QUEUES.shipping,
  createShipment: TASK_QUEUES.shipping,
  cancelShipment: TASK_QUEUES.shipping,
} as const satisfies Record<SagaActivityName, string>;

/** Whether the orders service runs this activity itself (it can then be a local activity of the saga). */
export const isOrdersStep = (name: SagaActivityName): name is LocalActivityName =>
  QUEUE[name] === TASK_QUEUES.orders;

/** The policies of each role (forward, carrier, only retries), from the production defaults and the tuning. */
function policies(tuning: SagaTuning) {
  const initial = tuning.retryInitialIntervalMs ?? DEFAULTS.retryInitialIntervalMs;
  const maxInterval = tuning.retryMaximumIntervalMs ?? DEFAULTS.retryMaximumIntervalMs;
  const attemptTimeout = tuning.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs;
  const forwardRetry: RetryPolicy = {
    initialInterval: initial,
    backoffCoefficient: 2,
    maximumInterval: maxInterval,
    maximumAttempts: tuning.forwardMaxAttempts ?? DEFAULTS.forwardMaxAttempts,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  };
  /** a forward step: bounded attempts; a cancelled workflow waits until an attempt in flight has ended */
  const forward = {
    startToCloseTimeout: attemptTimeout,
    scheduleToCloseTimeout: '10m',
    retry: forwardRetry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  } satisfies ActivityOptions & LocalActivityOptions;
  /** the carrier step: unlimited attempts inside a total time budget (scheduleToClose) */
  const carrier = {
    ...forward,
    scheduleToCloseTimeout: tuning.shipmentBudgetMs ?? DEFAULTS.shipmentBudgetMs,
    retry: { ...forwardRetry, maximumAttempts: undefined },
  } satisfies ActivityOptions;
  /**
   * an undo, or bookkeeping that cannot be undone: a longer budget. Not retried: InvalidCommand, and the
   * refusal to cancel a shipment that has left (the saga keeps the shipment instead: README, "Known edges").
   */
  const onlyRetries = {
    startToCloseTimeout: attemptTimeout,
    retry: {
      initialInterval: initial,
      backoffCoefficient: 2,
      maximumInterval: Math.max(
        maxInterval,
        tuning.retryMaximumIntervalMs ?? DEFAULTS.compensationMaximumIntervalMs,
      ),
      maximumAttempts: tuning.compensationMaxAttempts ?? DEFAULTS.compensationMaxAttempts,
      nonRetryableErrorTypes: ['InvalidCommand', 'ShipmentAlreadyDispatched'],
    },
  } satisfies ActivityOptions & LocalActivityOptions;
  return { forward, carrier, compensations: onlyRetries, bookkeeping: onlyRetries };
}

export function sagaActivities(tuning: SagaTuning = {}): SagaActivities {
  const options = policies(tuning);
  const role = <R extends SagaRole>(r: R) =>
    Object.fromEntries(
      ROLES[r].map((name) => [
        name,
        proxyActivities<AllActivities>({ ...options[r], taskQueue: QUEUE[name] })[name],
      ]),
    ) as SagaActivities[R];
  return {
    forward: role('forward'),
    carrier: role('carrier'),
    compensations: role('compensations'),
    bookkeeping: role('bookkeeping'),
  };
}

/** The orders service's own steps as local activities, each with its role's policy. */
export type LocalSagaActivities = {
  [K in LocalActivityName]: LocalActivityInterfaceFor<Pick<AllActivities, K>>[K];
};

export function localSagaActivities(tuning: SagaTuning = {}): LocalSagaActivities {
  const options = policies(tuning);
  const local: Partial<Record<LocalActivityName, unknown>> = {};
  for (const r of ['forward', 'compensations', 'bookkeeping'] as const) {
    const proxy = proxyLocalActivities<AllActivities>({
      ...options[r],
      localRetryThreshold: DEFAULTS.localRetryThresholdMs,
    });
    for (const name of ROLES[r]) if (isOrdersStep(name)) local[name] = proxy[name];
  }
  return local as LocalSagaActivities;
}
