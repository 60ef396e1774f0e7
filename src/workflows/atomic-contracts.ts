/**
 * The public contract of the atomic-commit coordinators (twoPhaseCommit, threePhaseCommit): input, result,
 * query and start options. They run under the order's own workflow id (`order-<orderId>`), so an order has
 * one id whichever mode coordinates it; the API imports this module beside contracts.ts.
 */
import {
  type SearchAttributePair,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
import type { AtomicOrder, Reversal, Vote } from '../activities/coordination/participant';
import type { AtomicCommitMode, Decision, Participant } from '../domain/coordination';
import { orderWorkflowId, TASK_QUEUES, type SagaFailure } from './contracts';
import { CustomerIdKey, OrderStatusKey } from './search-attributes';

export const ATOMIC_WORKFLOW_TYPES = {
  '2pc': 'twoPhaseCommit',
  '3pc': 'threePhaseCommit',
} as const satisfies Record<AtomicCommitMode, string>;

/** where a coordinator is */
export const ATOMIC_PHASES = [
  'CHECKING_DESTINATION',
  'PREPARING',
  'PRE_COMMITTING',
  'FINISHING',
  'AWAITING_SHIPMENT',
  'SHIPPING',
  'REVERSING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
] as const;
export type AtomicPhase = (typeof ATOMIC_PHASES)[number];

/**
 * Where the `cancelOrder` update is accepted (the saga's rule: until shipping starts). Before the decision is
 * recorded, a cancel makes the coordinator decide abort (nothing to undo); after a commit, it runs `reverse`.
 */
export const CANCELLABLE_ATOMIC_PHASES = [
  'CHECKING_DESTINATION',
  'PREPARING',
  'PRE_COMMITTING',
  'FINISHING',
  'AWAITING_SHIPMENT',
] as const satisfies readonly AtomicPhase[];

export type AtomicOutcome = 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface AtomicCommitTuning {
  retryInitialIntervalMs?: number;
  retryMaximumIntervalMs?: number;
  /** startToClose of one activity attempt (ms) */
  attemptTimeoutMs?: number;
  /** total budget of the carrier step (ms) */
  shipmentBudgetMs?: number;
  /** 3PC: a participant's deadline after its yes vote and after its pre-commit (ms) */
  threePcTimeoutMs?: number;
  /** 3PC: how long the coordinator waits for a pre-commit acknowledgement (ms) before it aborts */
  preCommitAckTimeoutMs?: number;
}

export interface AtomicCommitInput {
  mode: AtomicCommitMode;
  order: AtomicOrder;
  /** durable timer after the commit before shipping; 0 = none */
  cancellationWindowMs: number;
  requestId?: string;
  tuning?: AtomicCommitTuning;
}

/** one distributed transaction of the order (apply, or the reverse after a failed shipment) */
export interface TransactionView {
  votes: Partial<Record<Participant, Vote>>;
  /** 3PC: the participants whose pre-commit was acknowledged */
  preCommitted: Participant[];
  decision?: Decision;
  /** how each participant's part ended, as it answered; absent when the coordinator could not reach it */
  outcomes: Partial<Record<Participant, { outcome: Decision; by: string }>>;
}

export interface AtomicCommitState {
  orderId: string;
  mode: AtomicCommitMode;
  phase: AtomicPhase;
  status: 'PENDING' | AtomicOutcome;
  apply: TransactionView;
  /** the accepted cancel (the first one wins) */
  cancel?: { reason: string; requestedBy?: string };
  reverse?: TransactionView & { why: Reversal };
  failure?: SagaFailure;
  trackingNumber?: string;
}

export type AtomicCommitResult = Omit<AtomicCommitState, 'phase' | 'status'> & {
  phase: AtomicOutcome;
  status: AtomicOutcome;
};

export const atomicCommitStateQuery = defineQuery<AtomicCommitState>('atomicCommitState');

export function atomicCommitStartOptions(input: AtomicCommitInput) {
  return {
    workflowId: orderWorkflowId(input.order.orderId),
    taskQueue: TASK_QUEUES.orders,
    args: [input] as [AtomicCommitInput],
    typedSearchAttributes: [
      { key: CustomerIdKey, value: input.order.customerId },
      { key: OrderStatusKey, value: 'PENDING' },
    ] as SearchAttributePair[],
    staticSummary: `${input.mode} order ${input.order.orderId}`,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  };
}
