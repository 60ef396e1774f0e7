/**
 * The orders service's read models (tables: migrations/0002_order_read_models.sql), built from the Order
 * events (src/domain/order) that the orders service appends with `publish: true`:
 * - order_summary    one row per order
 * - customer_orders  a customer's orders, newest first (keyset pages on (created_at, order_id))
 * - order_analytics  orders and revenue per (day placed, status); quantity and revenue per SKU
 * plus the query functions the API uses.
 */
import type { Pool, PoolClient } from 'pg';
import type { OrderEvent, OrderPlaced } from '../../domain/order';
import type { OrderStatus, SagaStateName } from '../../workflows/contracts';
import type { EventEnvelope } from '../envelope';
import type { Projection } from './projection';

export const ORDERS_SCHEMA = 'orders';

const isOrderStream = (env: EventEnvelope) => env.streamId.startsWith('order-');

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

/** The time an event happened: its `at` (or `placedAt`), else when it was recorded. */
function eventTime(env: EventEnvelope): string {
  const d = env.data as { at?: unknown; placedAt?: unknown };
  if (typeof d.at === 'string') return d.at;
  if (typeof d.placedAt === 'string') return d.placedAt;
  return env.recordedAt;
}

const orderIdOf = (env: EventEnvelope) => env.streamId.slice('order-'.length);

// ---- order_summary ---------------------------------------------------------------------------------

export const orderSummaryProjection: Projection = {
  name: 'order_summary',
  tables: ['orders.order_summary'],
  handles: isOrderStream,
  apply: async (client, env) => {
    if (env.type === 'OrderPlaced') {
      const d = env.data as OrderPlaced['data'];
      await client.query(
        `INSERT INTO orders.order_summary (order_id, customer_id, status, saga_state, items, total, currency,
           shipping_address, failure_reason, created_at, updated_at, last_version)
         VALUES ($1, $2, 'PENDING', 'ORDER_PLACED', $3, $4, $5, $6, NULL, $7, $7, $8)
         ON CONFLICT (order_id) DO NOTHING`,
        [
          orderIdOf(env),
          d.customerId,
          JSON.stringify(itemsOf(d)),
          d.total,
          d.currency,
          JSON.stringify(d.shippingAddress),
          d.placedAt,
          env.version,
        ],
      );
      return;
    }
    const p = orderProgress(env);
    if (!p) {
      await client.query(`UPDATE orders.order_summary SET last_version = $2 WHERE order_id = $1`, [
        orderIdOf(env),
        env.version,
      ]);
      return;
    }
    await client.query(
      `UPDATE orders.order_summary
       SET status = $2, saga_state = $3, failure_reason = coalesce($4, failure_reason), updated_at = $5,
           last_version = $6
       WHERE order_id = $1`,
      [orderIdOf(env), p.status, p.sagaState, p.failureReason ?? null, eventTime(env), env.version],
    );
  },
};

// ---- customer_orders -------------------------------------------------------------------------------

export const customerOrdersProjection: Projection = {
  name: 'customer_orders',
  tables: ['orders.customer_orders'],
  handles: isOrderStream,
  apply: async (client, env) => {
    if (env.type === 'OrderPlaced') {
      const d = env.data as OrderPlaced['data'];
      await client.query(
        `INSERT INTO orders.customer_orders (customer_id, order_id, status, saga_state, total, currency,
           item_count, created_at, updated_at)
         VALUES ($1, $2, 'PENDING', 'ORDER_PLACED', $3, $4, $5, $6, $6)
         ON CONFLICT (customer_id, order_id) DO NOTHING`,
        [d.customerId, orderIdOf(env), d.total, d.currency, d.lines.length, d.placedAt],
      );
      return;
    }
    const p = orderProgress(env);
    if (!p) return;
    await client.query(
      `UPDATE orders.customer_orders SET status = $2, saga_state = $3, updated_at = $4 WHERE order_id = $1`,
      [orderIdOf(env), p.status, p.sagaState, eventTime(env)],
    );
  },
};

// ---- order_analytics -------------------------------------------------------------------------------

const LOST: OrderStatus[] = ['FAILED', 'CANCELLED'];

async function bumpDaily(client: PoolClient, day: string, status: string, orders: number, revenue: number) {
  await client.query(
    `INSERT INTO orders.order_analytics_daily AS d (day, status, orders, revenue) VALUES ($1, $2, $3, $4)
     ON CONFLICT (day, status) DO UPDATE SET orders = d.orders + $3, revenue = d.revenue + $4`,
    [day, status, orders, revenue],
  );
}

async function bumpSkus(client: PoolClient, items: OrderItemView[], sign: 1 | -1) {
  await client.query(
    `INSERT INTO orders.order_analytics_skus AS s (sku, quantity, revenue, orders)
     SELECT x.sku, $4 * x.quantity, $4 * x.revenue, $4 FROM unnest($1::text[], $2::bigint[], $3::bigint[])
       AS x(sku, quantity, revenue)
     ON CONFLICT (sku) DO UPDATE SET quantity = s.quantity + excluded.quantity,
       revenue = s.revenue + excluded.revenue, orders = s.orders + excluded.orders`,
    [items.map((i) => i.sku), items.map((i) => i.quantity), items.map((i) => i.lineTotal), sign],
  );
}

export const orderAnalyticsProjection: Projection = {
  name: 'order_analytics',
  tables: ['orders.order_analytics_daily', 'orders.order_analytics_skus', 'orders.order_analytics_orders'],
  handles: isOrderStream,
  apply: async (client, env) => {
    if (env.type === 'OrderPlaced') {
      const d = env.data as OrderPlaced['data'];
      const items = itemsOf(d);
      const ins = await client.query<{ day: string }>(
        `INSERT INTO orders.order_analytics_orders (order_id, day, status, total, lines)
         VALUES ($1, ($2::timestamptz AT TIME ZONE 'UTC')::date, 'PENDING', $3, $4)
         ON CONFLICT (order_id) DO NOTHING RETURNING day::text AS day`,
        [orderIdOf(env), d.placedAt, d.total, JSON.stringify(items)],
      );
      if (!ins.rows[0]) return;
      await bumpDaily(client, ins.rows[0].day, 'PENDING', 1, d.total);
      await bumpSkus(client, items, 1);
      return;
    }
    const p = orderProgress(env);
    if (!p) return;
    const cur = await client.query<{
      day: string;
      status: OrderStatus;
      total: number;
      lines: OrderItemView[];
    }>(
      `SELECT day::text AS day, status, total, lines FROM orders.order_analytics_orders WHERE order_id = $1 FOR UPDATE`,
      [orderIdOf(env)],
    );
    const o = cur.rows[0];
    if (!o || o.status === p.status) return;
    await bumpDaily(client, o.day, o.status, -1, -o.total);
    await bumpDaily(client, o.day, p.status, 1, o.total);
    const wasLost = LOST.includes(o.status);
    const isLost = LOST.includes(p.status);
    if (!wasLost && isLost) await bumpSkus(client, o.lines, -1);
    if (wasLost && !isLost) await bumpSkus(client, o.lines, 1);
    await client.query(`UPDATE orders.order_analytics_orders SET status = $2 WHERE order_id = $1`, [
      orderIdOf(env),
      p.status,
    ]);
  },
};

export const ORDER_PROJECTIONS: Projection[] = [
  orderSummaryProjection,
  customerOrdersProjection,
  orderAnalyticsProjection,
];

// ---- queries -----------------------------------------------------------------------------------------

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
  status?: OrderStatus;
  /** 1..200 */
  limit: number;
  /** opaque, from a previous page's nextCursor */
  cursor?: string;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** Keyset cursor: the (created_at, order_id) of the last item, as base64url JSON. Pure. */
export function encodeCursor(createdAt: string, orderId: string): string {
  return Buffer.from(JSON.stringify([createdAt, orderId]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; orderId: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      if (!Number.isNaN(Date.parse(v[0]))) return { createdAt: v[0], orderId: v[1] };
    }
  } catch {
    /* fall through */
  }
  throw new InvalidCursorError('invalid cursor');
}

/** Orders newest first (by created_at, then order id), optionally one customer's and/or one status. */
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
  if (q.status !== undefined) {
    values.push(q.status);
    where.push(`status = $${values.length}`);
  }
  if (after) {
    values.push(after.createdAt, after.orderId);
    where.push(`(created_at, order_id) < ($${values.length - 1}::timestamptz, $${values.length})`);
  }
  const from =
    q.customerId !== undefined
      ? 'orders.customer_orders'
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
