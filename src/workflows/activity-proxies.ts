/**
 * Activity proxies, one set per service task queue, with bounded retry policies:
 * - forward steps: exponential backoff, a bounded number of attempts (or, for the carrier-facing shipment
 *   step, a total time budget), and business refusals as non-retryable error types;
 * - compensations: a longer but still bounded policy. When it runs out the saga parks in
 *   COMPENSATION_BLOCKED (visible) rather than retrying forever or giving up silently.
 * `cancellationType: WAIT_CANCELLATION_COMPLETED` for forward steps: if the workflow is cancelled while a
 * charge is in flight, the workflow waits until that attempt has really ended before it refunds, so an
 * undo never overtakes the effect it undoes.
 */
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
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
} as const;

export function sagaActivities(tuning: SagaTuning = {}) {
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
  const forward = (taskQueue: string): ActivityOptions => ({
    taskQueue,
    startToCloseTimeout: attemptTimeout,
    scheduleToCloseTimeout: '10m',
    retry: forwardRetry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const undo = (taskQueue: string): ActivityOptions => ({
    taskQueue,
    startToCloseTimeout: attemptTimeout,
    retry: {
      initialInterval: initial,
      backoffCoefficient: 2,
      maximumInterval: Math.max(
        maxInterval,
        tuning.retryMaximumIntervalMs ?? DEFAULTS.compensationMaximumIntervalMs,
      ),
      maximumAttempts: tuning.compensationMaxAttempts ?? DEFAULTS.compensationMaxAttempts,
      nonRetryableErrorTypes: ['InvalidCommand'],
    },
  });
  const shipmentBudgetMs = tuning.shipmentBudgetMs ?? DEFAULTS.shipmentBudgetMs;

  return {
    orders: proxyActivities<OrderActivities>(forward(TASK_QUEUES.orders)),
    ordersUndo: proxyActivities<OrderActivities>(undo(TASK_QUEUES.orders)),
    inventory: proxyActivities<InventoryActivities>(forward(TASK_QUEUES.inventory)),
    inventoryUndo: proxyActivities<InventoryActivities>(undo(TASK_QUEUES.inventory)),
    payments: proxyActivities<PaymentActivities>(forward(TASK_QUEUES.payments)),
    paymentsUndo: proxyActivities<PaymentActivities>(undo(TASK_QUEUES.payments)),
    shipping: proxyActivities<ShippingActivities>(forward(TASK_QUEUES.shipping)),
    /** the carrier step: unlimited attempts inside a total time budget (scheduleToClose) */
    shipment: proxyActivities<ShippingActivities>({
      ...forward(TASK_QUEUES.shipping),
      scheduleToCloseTimeout: shipmentBudgetMs,
      retry: { ...forwardRetry, maximumAttempts: undefined },
    }),
    shippingUndo: proxyActivities<ShippingActivities>(undo(TASK_QUEUES.shipping)),
  };
}
export type SagaActivities = ReturnType<typeof sagaActivities>;
