/**
 * The coordinators' activity proxies: each participant's prepare / pre-commit / finish on its own task queue,
 * the decision record and the shipping and bookkeeping steps. Phase 2 (finish) retries without an attempt
 * limit: a 2PC decision must reach every participant, however long that takes (the blocking the protocol
 * is known for). A 3PC pre-commit acknowledgement is awaited only `preCommitAckTimeoutMs`.
 */
import type { ActivityOptions } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import type { CoordinatorActivities } from '../activities/coordination/coordinator';
import type { ParticipantActivities } from '../activities/coordination/participant';
import type { InventoryActivities } from '../activities/inventory';
import type { OrderActivities } from '../activities/orders';
import type { ShippingActivities } from '../activities/shipping';
import { COORDINATION_DEFAULTS, PARTICIPANTS, type Participant } from '../domain/coordination';
import type { AtomicCommitTuning } from './atomic-contracts';
import { NON_RETRYABLE_TYPES } from './activity-proxies';
import { TASK_QUEUES } from './contracts';

export const ATOMIC_DEFAULTS = {
  retryInitialIntervalMs: 500,
  retryMaximumIntervalMs: 30_000,
  attemptTimeoutMs: 30_000,
  shipmentBudgetMs: 15 * 60_000,
  threePcTimeoutMs: COORDINATION_DEFAULTS.threePcTimeoutMs,
  preCommitAckTimeoutMs: 10_000,
} as const satisfies Required<AtomicCommitTuning>;

export function atomicActivities(tuning: AtomicCommitTuning = {}) {
  const t = { ...ATOMIC_DEFAULTS, ...tuning };
  const retry = {
    initialInterval: t.retryInitialIntervalMs,
    maximumInterval: t.retryMaximumIntervalMs,
    backoffCoefficient: 2,
    nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES, 'DecisionMismatch'],
  };
  const base: ActivityOptions = { startToCloseTimeout: t.attemptTimeoutMs, retry };
  const participant = (p: Participant) => ({
    /** phase 1 and phase 2: retried until they answer */
    steps: proxyActivities<ParticipantActivities>({ ...base, taskQueue: TASK_QUEUES[p] }),
    /** 3PC pre-commit: an acknowledgement that does not come in time makes the coordinator abort */
    preCommit: proxyActivities<ParticipantActivities>({
      ...base,
      taskQueue: TASK_QUEUES[p],
      scheduleToCloseTimeout: t.preCommitAckTimeoutMs,
    }).preCommitTransaction,
    /** 3PC phase 2: the participant decides on its own after its deadline, so the coordinator stops trying */
    finishWithin: proxyActivities<ParticipantActivities>({
      ...base,
      taskQueue: TASK_QUEUES[p],
      scheduleToCloseTimeout: 2 * t.threePcTimeoutMs,
    }).finishTransaction,
  });
  return {
    tuning: t,
    participants: Object.fromEntries(PARTICIPANTS.map((p) => [p, participant(p)])) as Record<
      Participant,
      ReturnType<typeof participant>
    >,
    coordinator: proxyActivities<CoordinatorActivities>({ ...base, taskQueue: TASK_QUEUES.orders }),
    orders: proxyActivities<OrderActivities>({ ...base, taskQueue: TASK_QUEUES.orders }),
    inventory: proxyActivities<InventoryActivities>({ ...base, taskQueue: TASK_QUEUES.inventory }),
    shipping: proxyActivities<ShippingActivities>({
      ...base,
      retry: { ...retry, maximumAttempts: 5 },
      taskQueue: TASK_QUEUES.shipping,
    }),
    carrier: proxyActivities<ShippingActivities>({
      ...base,
      scheduleToCloseTimeout: t.shipmentBudgetMs,
      taskQueue: TASK_QUEUES.shipping,
    }),
  };
}
export type AtomicActivities = ReturnType<typeof atomicActivities>;
