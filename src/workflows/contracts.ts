/**
 * The saga's public contract: task queues, ids, input, query and update definitions. This is the only
 * workflow module the API imports (it starts, queries and updates sagas through these definitions).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

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
  /** set while COMPENSATION_BLOCKED: which undo could not finish and why */
  blocked?: { compensation: string; error: string };
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
