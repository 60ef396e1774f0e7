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
import { NON_RETRYABLE_ERROR_CODES } from '../domain/errors';
import { orderWorkflowId, SERVICES, type ServiceName } from '../domain/ids';
import { SAGA_STATES, type OrderStatus, type SagaStateName } from '../domain/order/progress';
import type { Address, OrderLine as DomainOrderLine, PlacedOrder } from '../domain/order/shape';
import { CustomerIdKey, OrderStatusKey } from './search-attributes';
import { orderSagaSummary } from './summaries';

/** One task queue per service, named as the service. */
export const TASK_QUEUES = Object.fromEntries(SERVICES.map((service) => [service, service])) as {
  readonly [S in ServiceName]: S;
};
export type { ServiceName };

export { orderWorkflowId };

/** The order's lines and address, as the domain declares them (src/domain/order/shape.ts). */
export type ShippingAddress = Address;
export type OrderLine = DomainOrderLine;

export interface OrderSagaInput extends PlacedOrder {
  /** durable timer after payment; 0 = no window */
  cancellationWindowMs: number;
  /** gateway request id, carried into event metadata */
  requestId?: string;
  /** test/operator tuning of retry budgets (see SagaTuning); production leaves it unset */
  tuning?: SagaTuning;
}

/** The order a saga carries: its input less the saga's own settings. */
export function placedOrderOf(input: OrderSagaInput): PlacedOrder {
  const { cancellationWindowMs: _window, requestId: _requestId, tuning: _tuning, ...order } = input;
  return order;
}

/** What the sagaState query and the gateway's memo show of the order (its ids are beside it). */
export type OrderDetails = Omit<PlacedOrder, 'orderId' | 'customerId'>;
export function orderDetailsOf(input: OrderSagaInput): OrderDetails {
  const { orderId: _orderId, customerId: _customerId, ...details } = placedOrderOf(input);
  return details;
}

/** Fine-grained saga states (the explicit state machine) and the coarse status clients see. */
export { SAGA_STATES, type SagaStateName, type OrderStatus };

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
  order: OrderDetails;
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

/**
 * Business refusals: non-retryable ApplicationFailure types that fail the saga (after compensation). They
 * are the domain's error codes (src/domain/errors.ts), which the activities turn into these types.
 */
export const BUSINESS_ERROR_TYPES = NON_RETRYABLE_ERROR_CODES;

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
