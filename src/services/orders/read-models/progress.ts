/**
 * Where an order stands after each of its events, in TypeScript: the reference mapping that the SQL read
 * models (migrations/0005) implement, checked against them in projections.int.spec.ts. Pure.
 */
import type { OrderEvent, OrderPlaced } from '../../../domain/order';
import type { OrderStatus, SagaStateName } from '../../../workflows/contracts';

export interface OrderProgress {
  status: OrderStatus;
  sagaState: SagaStateName;
  failureReason?: string;
}

/** Where an order stands after one of its events (undefined for OrderPlaced and unknown types). Pure. */
export function orderProgress(event: { type: string; data: unknown }): OrderProgress | undefined {
  const e = event as OrderEvent;
  switch (e.type) {
    case 'OrderInventoryReserved':
      return { status: 'PENDING', sagaState: 'INVENTORY_RESERVED' };
    case 'OrderPaid':
      return { status: 'PENDING', sagaState: 'PAYMENT_COMPLETED' };
    case 'OrderShipped':
      return { status: 'PENDING', sagaState: 'ORDER_SHIPPED' };
    case 'OrderCompleted':
      return { status: 'COMPLETED', sagaState: 'COMPLETED' };
    case 'OrderFailed':
      return { status: 'FAILED', sagaState: 'FAILED', failureReason: e.data.reason };
    case 'OrderCancelled':
      return { status: 'CANCELLED', sagaState: 'CANCELLED', failureReason: e.data.reason };
    default:
      return undefined;
  }
}

export interface OrderItemView {
  sku: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}

export function itemsOf(placed: OrderPlaced['data']): OrderItemView[] {
  return placed.lines.map((l) => ({
    sku: l.sku,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    lineTotal: l.quantity * l.unitPrice,
  }));
}

/** The time an event happened: its `at` (or `placedAt`), else when it was recorded. Pure. */
export function orderEventTime(event: { data: unknown; recordedAt: string }): string {
  const d = event.data as { at?: unknown; placedAt?: unknown };
  if (typeof d.at === 'string') return d.at;
  if (typeof d.placedAt === 'string') return d.placedAt;
  return event.recordedAt;
}
