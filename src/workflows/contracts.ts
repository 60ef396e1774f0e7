/**
 * The saga's public contract: task queues, ids, input, query and update definitions. This is the only
 * workflow module the API imports (it starts, queries and updates sagas through these definitions).
 */
import {
  type SearchAttributePair,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { CustomerIdKey, OrderStatusKey } from './search-attributes';
import { orderSagaSummary } from './summaries';

export const TASK_QUEUES = {
  orders: 'orders',
  inventory: 'inventory',
  payments: 'payments',
  shipping: 'shipping',
} as const;
export type ServiceName = keyof typeof TASK_QUEUES;

export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2 */
  country: string;
}

export interface OrderLine {
  sku: string;
  quantity: number;
  /** cents, from the catalog at order time */
  unitPrice: number;
}

export interface OrderSagaInput {
  orderId: string;
  customerId: string;
  lines: OrderLine[];
  /** cents; sum of quantity × unitPrice */
  total: number;
  currency: 'USD';
  shippingAddress: ShippingAddress;
  /** ISO 8601 time the gateway accepted the order */
  placedAt: string;
  /** durable timer after payment; 0 = no window */
  cancellationWindowMs: number;
  /** gateway request id, carried into event metadata */
  requestId?: string;
  /** test/operator tuning of retry budgets (see SagaTuning); production leaves it unset */
  tuning?: SagaTuning;
}

/** Fine-grained saga states (the explicit state machine). */
export const SAGA_STATES = [
  'STARTED',
  'ORDER_PLACED',
  'INVENTORY_RESERVED',
  'PAYMENT_COMPLETED',
  'AWAITING_SHIPMENT',
  'ORDER_SHIPPED',
  'COMPLETED',
  'COMPENSATING',
  'FAILED',
  'CANCELLED',
  'COMPENSATION_BLOCKED',
] as const;
export type SagaStateName = (typeof SAGA_STATES)[number];

/** Coarse status shown to API clients and in the OrderStatus search attribute. */
export type OrderStatus = 'PENDING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'COMPENSATION_BLOCKED';

export interface SagaFailure {
  step: string;
  /** e.g. InsufficientStock, InsufficientFunds, UnsupportedCountry, CarrierUnavailable, Cancelled */
  type: string;
  message: string;
}

export interface SagaStateView {
  orderId: string;
  customerId: string;
  state: SagaStateName;
  status: OrderStatus;
  completedSteps: string[];
  /** compensations that finished, in the order they ran (newest step first) */
  compensationsRun: string[];
  failure?: SagaFailure;
  /** set while COMPENSATION_BLOCKED: which undo (or bookkeeping step after shipping) could not finish, and why */
  blocked?: { compensation: string; error: string };
  /** set once the workflow was cancelled through Temporal (it never skips an undo or the bookkeeping) */
  temporalCancelRequestedAt?: string;
  transitions: { from: SagaStateName; to: SagaStateName; at: string }[];
  order: Pick<OrderSagaInput, 'lines' | 'total' | 'currency' | 'shippingAddress' | 'placedAt'>;
}

export interface CancelOrderRequest {
  reason?: string;
  requestedBy?: string;
}
export interface CancelOrderResult {
  orderId: string;
  accepted: true;
  status: OrderStatus;
  state: SagaStateName;
}

export const sagaStateQuery = defineQuery<SagaStateView>('sagaState');
/** Accepted while the order has not shipped; the validator rejects it afterwards. */
export const cancelOrderUpdate = defineUpdate<CancelOrderResult, [CancelOrderRequest]>('cancelOrder');

export const ORDER_SAGA_WORKFLOW_TYPE = 'orderSaga';

// ---------------------------------------------------------------------------------------------------------
// Additions by the saga engineer (additive only).

/**
 * Optional retry/timeout tuning, carried in the input so tests (and operators starting a one-off saga)
 * can shrink the retry budgets. Unset fields use the production defaults in activity-proxies.ts.
 */
export interface SagaTuning {
  /** initial retry interval of every forward step (ms) */
  retryInitialIntervalMs?: number;
  /** maximum retry interval of every forward step (ms) */
  retryMaximumIntervalMs?: number;
  /** total time budget of the shipment step (all attempts), e.g. while the carrier is down (ms) */
  shipmentBudgetMs?: number;
  /** attempts of each forward step other than the shipment (which has a time budget instead) */
  forwardMaxAttempts?: number;
  /** attempts of each compensation before the saga parks in COMPENSATION_BLOCKED */
  compensationMaxAttempts?: number;
  /** startToClose of one activity attempt (ms): how soon a crashed worker's attempt is retried elsewhere */
  attemptTimeoutMs?: number;
}

/**
 * What the workflow returns. Business outcomes (FAILED for no stock / no funds / unsupported country /
 * carrier unavailable, CANCELLED) are results, not workflow failures: the saga did its job (it compensated),
 * and the outcome is visible in the result, the `sagaState` query and the `OrderStatus` search attribute.
 * A workflow *failure* is kept for bugs (it never happens by design).
 */
export interface OrderSagaResult {
  orderId: string;
  status: Exclude<OrderStatus, 'PENDING' | 'COMPENSATION_BLOCKED'>;
  state: SagaStateName;
  trackingNumber?: string;
  failure?: SagaFailure;
  compensationsRun: string[];
}

/**
 * Resumes a saga parked in COMPENSATION_BLOCKED: the blocked compensation is attempted again (with a fresh
 * retry budget) and the unwinding continues. `temporal workflow signal --name retryCompensation -w order-<id>`.
 */
export const retryCompensationSignal = defineSignal<[]>('retryCompensation');

/** Business refusals: non-retryable ApplicationFailure types that fail the saga (after compensation). */
export const BUSINESS_ERROR_TYPES = [
  'InsufficientStock',
  'InsufficientFunds',
  'UnsupportedCountry',
  'UnknownItem',
  'UnknownAccount',
  'InvalidOrder',
] as const;

export { orderSagaSummary };

/**
 * Start options for `client.workflow.start(orderSaga, orderSagaStartOptions(input))` (API and tests).
 * - workflow id `order-<orderId>`: the business id; the gateway's idempotency key maps to it;
 * - USE_EXISTING: a second start while the saga runs returns the running one (idempotent POST);
 * - REJECT_DUPLICATE: after the saga closed, the same order can never run a second time.
 */
export function orderSagaStartOptions(input: OrderSagaInput) {
  return {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue: TASK_QUEUES.orders,
    args: [input] as [OrderSagaInput],
    typedSearchAttributes: [
      { key: CustomerIdKey, value: input.customerId },
      { key: OrderStatusKey, value: 'PENDING' },
    ] as SearchAttributePair[],
    staticSummary: orderSagaSummary(input),
    staticDetails: `${input.lines.length} line(s) to ${input.shippingAddress.country}; placed ${input.placedAt}`,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  };
}
