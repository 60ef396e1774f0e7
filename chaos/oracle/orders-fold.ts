/**
 * The oracle's fold of the orders log: where each order stands, written from the event meanings (the order
 * lifecycle and what the read models are documented to show), not from the order decider or the SQL
 * projection functions.
 */
import type { LoggedEvent } from './snapshot';
import { idOf, num, str } from './vocabulary';

export type OrderStatus = 'PENDING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** What each event after OrderPlaced means for the order's status and saga state. */
const PROGRESS: Record<string, { status: OrderStatus; sagaState: string; carriesReason: boolean }> = {
  OrderInventoryReserved: { status: 'PENDING', sagaState: 'INVENTORY_RESERVED', carriesReason: false },
  OrderPaid: { status: 'PENDING', sagaState: 'PAYMENT_COMPLETED', carriesReason: false },
  OrderShipped: { status: 'PENDING', sagaState: 'ORDER_SHIPPED', carriesReason: false },
  OrderCompleted: { status: 'COMPLETED', sagaState: 'COMPLETED', carriesReason: false },
  OrderFailed: { status: 'FAILED', sagaState: 'FAILED', carriesReason: true },
  OrderCancelled: { status: 'CANCELLED', sagaState: 'CANCELLED', carriesReason: true },
};

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface PlacedOrder {
  customerId: string;
  lines: OrderLine[];
  total: number;
  currency: unknown;
  shippingAddress: unknown;
  placedAt: Date;
}

export interface OrderFacts {
  orderId: string;
  /** OrderPlaced's facts; undefined when the stream does not start with OrderPlaced */
  placed: PlacedOrder | undefined;
  /** status and saga state after the last event that moves the order (PENDING / ORDER_PLACED after placing) */
  status: OrderStatus;
  sagaState: string;
  failureReason: string | null;
  /** when the order last moved: the moving event's `at`, else `placedAt`, else when it was recorded */
  updatedAt: Date;
  /** the stream's last version (any event type) */
  headVersion: number;
  terminalEvents: number;
  /** placed, exactly one terminal event, and it is the last event that moves the order */
  settled: boolean;
  /** OrderShipped's tracking number */
  trackingNumber: string | undefined;
}

/** The time an event happened: its `at` (or `placedAt`), else when it was recorded. */
export function eventTime(e: LoggedEvent): Date {
  const at = str(e.data.at) ?? str(e.data.placedAt);
  return at !== undefined ? new Date(at) : e.recordedAt;
}

function placedOf(e: LoggedEvent): PlacedOrder | undefined {
  if (e.type !== 'OrderPlaced' || e.version !== 1) return undefined;
  const d = e.data;
  const lines = Array.isArray(d.lines) ? (d.lines as Record<string, unknown>[]) : [];
  return {
    customerId: str(d.customerId) ?? '',
    lines: lines.map((l) => ({
      sku: str(l.sku) ?? '',
      quantity: num(l.quantity),
      unitPrice: num(l.unitPrice),
    })),
    total: num(d.total),
    currency: d.currency,
    shippingAddress: d.shippingAddress,
    placedAt: new Date(str(d.placedAt) ?? NaN),
  };
}

export function foldOrder(streamId: string, events: LoggedEvent[]): OrderFacts {
  const first = events[0];
  const placed = first ? placedOf(first) : undefined;
  const o: OrderFacts = {
    orderId: idOf('orders', streamId),
    placed,
    status: 'PENDING',
    sagaState: 'ORDER_PLACED',
    failureReason: null,
    updatedAt: placed?.placedAt ?? new Date(NaN),
    headVersion: events.at(-1)?.version ?? 0,
    terminalEvents: 0,
    settled: false,
    trackingNumber: undefined,
  };
  let lastMoveTerminal = false;
  for (const e of events.slice(1)) {
    const p = PROGRESS[e.type];
    if (!p) continue;
    o.status = p.status;
    o.sagaState = p.sagaState;
    if (p.carriesReason) o.failureReason = str(e.data.reason) ?? o.failureReason;
    o.updatedAt = eventTime(e);
    lastMoveTerminal = p.status !== 'PENDING';
    if (lastMoveTerminal) o.terminalEvents += 1;
    if (e.type === 'OrderShipped') o.trackingNumber = str(e.data.trackingNumber);
  }
  o.settled = placed !== undefined && o.terminalEvents === 1 && lastMoveTerminal;
  return o;
}

export function foldOrders(streams: Map<string, LoggedEvent[]>): Map<string, OrderFacts> {
  const out = new Map<string, OrderFacts>();
  for (const [streamId, events] of streams) {
    if (!streamId.startsWith('order-')) continue;
    const o = foldOrder(streamId, events);
    out.set(o.orderId, o);
  }
  return out;
}

/** Settled in a terminal status (the cross-service checks judge only these orders). */
export const isSettled = (o: OrderFacts | undefined): o is OrderFacts => o?.settled === true;
