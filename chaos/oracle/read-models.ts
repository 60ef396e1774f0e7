/**
 * The order read models as the oracle expects them, computed from its own fold of the orders log
 * (orders-fold.ts), and the row-by-row comparison with the rows Postgres holds. The expectations restate
 * what migrations/0002 documents for each table; nothing here calls the projections or their SQL functions.
 *
 * - order_summary: one row per placed order: status, saga state and failure reason of the last event that
 *   moved it, items with line totals, created_at = placedAt, updated_at = when it last moved, last_version =
 *   the stream's head.
 * - customer_orders: the same order per customer, with item_count = number of lines (no last_version).
 * - order_analytics_orders: per order the UTC day it was placed, its status, total and items.
 * - order_analytics_daily: per (day, status) the number of orders and their totals (all-zero rows ignored).
 * - order_analytics_skus: per SKU quantity, revenue and number of lines over orders neither FAILED nor
 *   CANCELLED (all-zero rows ignored).
 * - projection checkpoints: each of the three projections has applied every order stream up to its head.
 */
import type { OrderFacts } from './orders-fold';
import type { ReadModelRows } from './snapshot';

export const ORDER_READ_MODELS = ['order_summary', 'customer_orders', 'order_analytics'] as const;

/** JSON with sorted keys; Dates as ISO strings (invalid ones as "Invalid Date"), NaN as "NaN". */
export function canonical(x: unknown): string {
  if (x instanceof Date) return JSON.stringify(Number.isNaN(x.getTime()) ? 'Invalid Date' : x.toISOString());
  if (typeof x === 'number' && !Number.isFinite(x)) return JSON.stringify(String(x));
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x ?? null);
}

/** table → primary key → canonical row */
type Tables = Record<string, Map<string, string>>;

const TABLES = [
  'order_summary',
  'customer_orders',
  'order_analytics_orders',
  'order_analytics_daily',
  'order_analytics_skus',
  'projection_checkpoints',
] as const;

const itemsOf = (o: OrderFacts) =>
  (o.placed?.lines ?? []).map((l) => ({
    sku: l.sku,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    lineTotal: l.quantity * l.unitPrice,
  }));

const utcDay = (d: Date): string =>
  Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString().slice(0, 10);

const bump = (
  m: Map<string, Record<string, number | string>>,
  key: string,
  add: Record<string, number>,
  base: Record<string, string>,
) => {
  const row = m.get(key) ?? { ...base, ...Object.fromEntries(Object.keys(add).map((k) => [k, 0])) };
  for (const [k, v] of Object.entries(add)) row[k] = Number(row[k]) + v;
  m.set(key, row);
};

export function expectedTables(orders: Map<string, OrderFacts>): Tables {
  const t: Tables = Object.fromEntries(TABLES.map((n) => [n, new Map<string, string>()]));
  const daily = new Map<string, Record<string, number | string>>();
  const skus = new Map<string, Record<string, number | string>>();
  for (const o of orders.values()) {
    for (const p of ORDER_READ_MODELS)
      t.projection_checkpoints!.set(`${p}|order-${o.orderId}`, canonical({ version: o.headVersion }));
    const placed = o.placed;
    if (!placed) continue;
    const items = itemsOf(o);
    const common = {
      order_id: o.orderId,
      customer_id: placed.customerId,
      status: o.status,
      saga_state: o.sagaState,
      total: placed.total,
      currency: placed.currency,
      created_at: placed.placedAt,
      updated_at: o.updatedAt,
    };
    t.order_summary!.set(
      o.orderId,
      canonical({
        ...common,
        items,
        shipping_address: placed.shippingAddress,
        failure_reason: o.failureReason,
        last_version: o.headVersion,
      }),
    );
    t.customer_orders!.set(
      `${placed.customerId}|${o.orderId}`,
      canonical({ ...common, item_count: placed.lines.length }),
    );
    const day = utcDay(placed.placedAt);
    t.order_analytics_orders!.set(
      o.orderId,
      canonical({ order_id: o.orderId, day, status: o.status, total: placed.total, lines: items }),
    );
    bump(daily, `${day}|${o.status}`, { orders: 1, revenue: placed.total }, { day, status: o.status });
    if (o.status === 'FAILED' || o.status === 'CANCELLED') continue;
    for (const i of items)
      bump(skus, i.sku, { quantity: i.quantity, revenue: i.lineTotal, orders: 1 }, { sku: i.sku });
  }
  for (const [k, row] of daily) t.order_analytics_daily!.set(k, canonical(row));
  for (const [k, row] of skus) t.order_analytics_skus!.set(k, canonical(row));
  return t;
}

export function actualTables(rm: ReadModelRows): Tables {
  const t: Tables = Object.fromEntries(TABLES.map((n) => [n, new Map<string, string>()]));
  const put = (table: string, key: string, row: unknown) => {
    const m = t[table]!;
    // a duplicate key cannot exist in a table with that primary key; if it does, it differs by definition
    m.set(m.has(key) ? `${key}#dup${m.size}` : key, canonical(row));
  };
  for (const r of rm.orderSummary) put('order_summary', r.order_id, r);
  for (const r of rm.customerOrders) put('customer_orders', `${r.customer_id}|${r.order_id}`, r);
  for (const r of rm.analyticsOrders) put('order_analytics_orders', r.order_id, r);
  for (const r of rm.analyticsDaily)
    if (r.orders !== 0 || r.revenue !== 0) put('order_analytics_daily', `${r.day}|${r.status}`, r);
  for (const r of rm.analyticsSkus)
    if (r.quantity !== 0 || r.revenue !== 0 || r.orders !== 0) put('order_analytics_skus', r.sku, r);
  for (const r of rm.checkpoints)
    if (ORDER_READ_MODELS.includes(r.projection as (typeof ORDER_READ_MODELS)[number]))
      put('projection_checkpoints', `${r.projection}|${r.stream_id}`, { version: r.version });
  return t;
}

export interface TableDiff {
  mismatches: number;
  samples: string[];
}

/** Per table: keys on one side only plus keys whose rows differ, with a few samples. */
export function diffTables(expected: Tables, actual: Tables): Record<string, TableDiff> {
  const out: Record<string, TableDiff> = {};
  for (const table of TABLES) {
    const e = expected[table]!;
    const a = actual[table]!;
    const d: TableDiff = { mismatches: 0, samples: [] };
    const sample = (s: string) => {
      if (d.samples.length < 3) d.samples.push(`${table} ${s}`);
    };
    for (const [k, want] of e) {
      const got = a.get(k);
      if (got === want) continue;
      d.mismatches += 1;
      sample(got === undefined ? `${k}: missing, log says ${want}` : `${k}: ${got}, log says ${want}`);
    }
    for (const [k, got] of a) {
      if (e.has(k)) continue;
      d.mismatches += 1;
      sample(`${k}: ${got}, not in the log`);
    }
    out[table] = d;
  }
  return out;
}
