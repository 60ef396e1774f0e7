/**
 * Where an order stands after each of its events, in TypeScript: the reference mapping that the SQL read
 * models (migrations/0005) implement, checked against them in projections.int.spec.ts. Pure.
 */
import { lineTotal, type OrderPlaced } from '../../../domain/order';
import { orderProgress, type OrderProgress } from '../../../domain/order/progress';

/** Where an order stands after one of its events: the one mapping, in the domain. Pure. */
export { orderProgress, type OrderProgress };

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
    lineTotal: lineTotal(l),
  }));
}

/** The time an event happened: its `at` (or `placedAt`), else when it was recorded. Pure. */
export function orderEventTime(event: { data: unknown; recordedAt: string }): string {
  const d = event.data as { at?: unknown; placedAt?: unknown };
  if (typeof d.at === 'string') return d.at;
  if (typeof d.placedAt === 'string') return d.placedAt;
  return event.recordedAt;
}
