/**
 * Where an order stands, as its saga and its read models tell it: the fine-grained saga states, the coarse
 * status clients see (also the OrderStatus search attribute and the read models' status column), and the
 * one mapping from the Order events to both. The saga's state machine (src/workflows/saga-state.ts), the
 * API's zod enums and the read models (their SQL functions are checked against `orderProgress`) use these.
 */
import type { OrderEvent, OrderEventType } from './order';

/** The saga's explicit states. */
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

/** The coarse status shown to API clients, in the OrderStatus search attribute and in the read models. */
export const ORDER_STATUSES = [
  'PENDING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'COMPENSATION_BLOCKED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The status of a saga state: the end states and COMPENSATION_BLOCKED show as themselves, the rest PENDING. */
export function statusOf(state: SagaStateName): OrderStatus {
  switch (state) {
    case 'COMPLETED':
    case 'FAILED':
    case 'CANCELLED':
    case 'COMPENSATION_BLOCKED':
      return state;
    default:
      return 'PENDING';
  }
}

/** The saga state to show for a status when no finer one is known (a status PENDING: the saga started). */
export const stateOfStatus = (status: OrderStatus): SagaStateName =>
  status === 'PENDING' ? 'STARTED' : status;

/** The saga state each Order event records; OrderPlaced is the order's first row, not a move. */
export const STATE_AFTER_EVENT = {
  OrderInventoryReserved: 'INVENTORY_RESERVED',
  OrderPaid: 'PAYMENT_COMPLETED',
  OrderShipped: 'ORDER_SHIPPED',
  OrderCompleted: 'COMPLETED',
  OrderFailed: 'FAILED',
  OrderCancelled: 'CANCELLED',
} as const satisfies Record<Exclude<OrderEventType, 'OrderPlaced'>, SagaStateName>;

export interface OrderProgress {
  status: OrderStatus;
  sagaState: SagaStateName;
  failureReason?: string;
}

const has = (rec: object, key: string): key is keyof typeof STATE_AFTER_EVENT =>
  Object.prototype.hasOwnProperty.call(rec, key);

/** Where an order stands after one of its events (undefined for OrderPlaced and unknown types). Pure. */
export function orderProgress(event: { type: string; data: unknown }): OrderProgress | undefined {
  if (!has(STATE_AFTER_EVENT, event.type)) return undefined;
  const sagaState = STATE_AFTER_EVENT[event.type];
  const e = event as OrderEvent;
  const progress: OrderProgress = { status: statusOf(sagaState), sagaState };
  if (e.type === 'OrderFailed' || e.type === 'OrderCancelled') progress.failureReason = e.data.reason;
  return progress;
}
