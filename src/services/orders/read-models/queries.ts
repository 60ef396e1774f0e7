/**
 * The queries the API answers from the order read models: one order's summary, a keyset page of orders
 * (newest first, optionally one customer's and/or one status), and analytics per day, status and SKU.
 */
import type { Pool } from 'pg';
import type { OrderPlaced } from '../../../domain/order';
import type { OrderStatus, SagaStateName } from '../../../domain/order/progress';
import { decodeCursor, encodeCursor } from './cursor';
import type { OrderItemView } from './progress';
import { stuckRows, type STUCK_FILTER } from '../stuck';

export interface OrderSummaryView {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  sagaState: SagaStateName;
  items: OrderItemView[];
  total: number;
  currency: string;
  shippingAddress: OrderPlaced['data']['shippingAddress'];
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  lastVersion: number;
}

interface SummaryRow {
  order_id: string;
  customer_id: string;
  status: OrderStatus;
  saga_state: SagaStateName;
  items: OrderItemView[];
  total: number;
  currency: string;
  shipping_address: OrderPlaced['data']['shippingAddress'];
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  last_version: number;
}

export async function getOrderSummary(pool: Pool, orderId: string): Promise<OrderSummaryView | null> {
  const r = await pool.query<SummaryRow>('SELECT * FROM orders.order_summary WHERE order_id = $1', [orderId]);
  const x = r.rows[0];
  if (!x) return null;
  return {
    orderId: x.order_id,
    customerId: x.customer_id,
    status: x.status,
    sagaState: x.saga_state,
    items: x.items,
    total: x.total,
    currency: x.currency,
    shippingAddress: x.shipping_address,
    failureReason: x.failure_reason,
    createdAt: x.created_at,
    updatedAt: x.updated_at,
    lastVersion: x.last_version,
  };
}

export interface OrderListItem {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  sagaState: SagaStateName;
  total: number;
  currency: string;
  itemCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ListOrdersQuery {
  customerId?: string;
  /** STUCK: choreographed orders past their deadline plus `stuckGraceMs` */
  status?: OrderStatus | typeof STUCK_FILTER;
  /** with status STUCK: the grace (ms) */
  stuckGraceMs?: number;
  /** 1..200 */
  limit: number;
  /** opaque, from a previous page's nextCursor */
  cursor?: string;
}

/**
 * Orders newest first (by created_at, then order id), optionally one customer's and/or one status; STUCK:
 * the stuck choreographed orders (../stuck.ts).
 */
export async function listOrders(
  pool: Pool,
  q: ListOrdersQuery,
): Promise<{ items: OrderListItem[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(200, Math.trunc(q.limit)));
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  const values: unknown[] = [limit + 1];
  const where: string[] = [];
  if (q.customerId !== undefined) {
    values.push(q.customerId);
    where.push(`customer_id = $${values.length}`);
  }
  let graceParam = 0; // STUCK: which parameter holds the grace
  if (q.status === 'STUCK') {
    graceParam = values.push(q.stuckGraceMs ?? 0);
  } else if (q.status !== undefined) {
    values.push(q.status);
    where.push(`status = $${values.length}`);
  }
  if (after) {
    values.push(after.createdAt, after.orderId);
    where.push(`(created_at, order_id) < ($${values.length - 1}::timestamptz, $${values.length})`);
  }
  const from =
    q.status === 'STUCK'
      ? stuckRows(graceParam)
      : q.customerId !== undefined
        ? 'orders.customer_orders o'
        : `(SELECT customer_id, order_id, status, saga_state, total, currency, jsonb_array_length(items) AS item_count,
            created_at, updated_at FROM orders.order_summary) o`;
  const r = await pool.query<{
    customer_id: string;
    order_id: string;
    status: OrderStatus;
    saga_state: SagaStateName;
    total: number;
    currency: string;
    item_count: number;
    created_at: Date;
    cursor_ts: string;
    updated_at: Date;
  }>(
    `SELECT customer_id, order_id, status, saga_state, total, currency, item_count, created_at, updated_at,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
     FROM ${from}
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, order_id DESC
     LIMIT $1`,
    values,
  );
  const rows = r.rows.slice(0, limit);
  const last = rows[rows.length - 1];
  return {
    items: rows.map((x) => ({
      orderId: x.order_id,
      customerId: x.customer_id,
      status: x.status,
      sagaState: x.saga_state,
      total: x.total,
      currency: x.currency,
      itemCount: x.item_count,
      createdAt: x.created_at,
      updatedAt: x.updated_at,
    })),
    nextCursor: r.rows.length > limit && last ? encodeCursor(last.cursor_ts, last.order_id) : null,
  };
}

export interface AnalyticsQuery {
  /** inclusive, YYYY-MM-DD (UTC day the order was placed) */
  from?: string;
  to?: string;
  /** default 10 */
  topSkus?: number;
}

export interface OrderAnalytics {
  days: { day: string; status: OrderStatus; orders: number; revenue: number }[];
  totals: Partial<Record<OrderStatus, { orders: number; revenue: number }>>;
  topSkus: { sku: string; quantity: number; revenue: number; orders: number }[];
}

export async function getAnalytics(pool: Pool, q: AnalyticsQuery = {}): Promise<OrderAnalytics> {
  const days = await pool.query<{ day: string; status: OrderStatus; orders: number; revenue: number }>(
    `SELECT day::text AS day, status, orders, revenue FROM orders.order_analytics_daily
     WHERE orders <> 0 AND ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2)
     ORDER BY day, status`,
    [q.from ?? null, q.to ?? null],
  );
  const skus = await pool.query<{ sku: string; quantity: number; revenue: number; orders: number }>(
    `SELECT sku, quantity, revenue, orders FROM orders.order_analytics_skus WHERE quantity > 0
     ORDER BY quantity DESC, sku LIMIT $1`,
    [q.topSkus ?? 10],
  );
  const totals: OrderAnalytics['totals'] = {};
  for (const d of days.rows) {
    const t = (totals[d.status] ??= { orders: 0, revenue: 0 });
    t.orders += d.orders;
    t.revenue += d.revenue;
  }
  return { days: days.rows, totals, topSkus: skus.rows };
}
