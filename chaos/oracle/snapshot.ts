/**
 * What the oracle reads from Postgres, in one REPEATABLE READ READ ONLY transaction so that the logs, the
 * read models, the projection checkpoints, the outboxes and the gateway's idempotency keys are one consistent
 * picture: plain SELECTs with explicit casts (no type parser, no code of the event store or the projections).
 */
import type { Pool } from 'pg';
import { readBusTables, type BusTables } from './bus';

export const SCHEMAS = ['orders', 'inventory', 'payments', 'shipping'] as const;
export type Schema = (typeof SCHEMAS)[number];

export interface LoggedEvent {
  schema: Schema;
  streamId: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  recordedAt: Date;
}

export interface SummaryRow {
  order_id: string;
  customer_id: string;
  status: string;
  saga_state: string;
  items: unknown;
  total: number;
  currency: string;
  shipping_address: unknown;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  last_version: number;
}

export interface CustomerOrderRow {
  customer_id: string;
  order_id: string;
  status: string;
  saga_state: string;
  total: number;
  currency: string;
  item_count: number;
  created_at: Date;
  updated_at: Date;
}

export interface ReadModelRows {
  orderSummary: SummaryRow[];
  customerOrders: CustomerOrderRow[];
  analyticsDaily: { day: string; status: string; orders: number; revenue: number }[];
  analyticsSkus: { sku: string; quantity: number; revenue: number; orders: number }[];
  analyticsOrders: { order_id: string; day: string; status: string; total: number; lines: unknown }[];
  /** orders.projection_checkpoints of order streams */
  checkpoints: { projection: string; stream_id: string; version: number }[];
}

export interface GatewayKey {
  scope: string;
  key: string;
  method: string;
  path: string;
  state: string;
  resource_id: string | null;
  response_status: number | null;
}

export interface Snapshot {
  /** every event of each schema, by stream id, each stream in version order */
  streams: Record<Schema, Map<string, LoggedEvent[]>>;
  readModels: ReadModelRows;
  /** outbox rows not delivered, per schema */
  undelivered: Record<Schema, number>;
  gatewayKeys: GatewayKey[];
  /** prepared transactions of this project (gid `order-saga:…`) still in pg_prepared_xacts */
  preparedGids: string[];
  /** the bus in Postgres: published events, consumers' applications and dead letters, demand slots */
  bus: BusTables;
}

/** every global transaction id the project prepares starts with this */
export const PROJECT_GID_PREFIX = 'order-saga:';

const q = async <T>(client: { query: Pool['query'] }, text: string): Promise<T[]> =>
  (await client.query(text)).rows as T[];

export async function readSnapshot(pool: Pool): Promise<Snapshot> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const streams = {} as Snapshot['streams'];
    const undelivered = {} as Snapshot['undelivered'];
    for (const schema of SCHEMAS) {
      const rows = await q<{
        stream_id: string;
        version: number;
        event_type: string;
        data: Record<string, unknown>;
        recorded_at: Date;
      }>(
        client,
        `SELECT stream_id, version::float8 AS version, event_type, data, recorded_at
           FROM ${schema}.events ORDER BY stream_id, version`,
      );
      const m = new Map<string, LoggedEvent[]>();
      for (const r of rows) {
        const list = m.get(r.stream_id) ?? [];
        list.push({
          schema,
          streamId: r.stream_id,
          version: r.version,
          type: r.event_type,
          data: r.data ?? {},
          recordedAt: r.recorded_at,
        });
        m.set(r.stream_id, list);
      }
      streams[schema] = m;
      const [u] = await q<{ n: number }>(
        client,
        `SELECT count(*)::int AS n FROM ${schema}.outbox WHERE delivered_at IS NULL`,
      );
      undelivered[schema] = u?.n ?? 0;
    }
    const readModels: ReadModelRows = {
      orderSummary: await q(
        client,
        `SELECT order_id, customer_id, status, saga_state, items, total::float8 AS total, currency,
                shipping_address, failure_reason, created_at, updated_at, last_version::float8 AS last_version
           FROM orders.order_summary`,
      ),
      customerOrders: await q(
        client,
        `SELECT customer_id, order_id, status, saga_state, total::float8 AS total, currency,
                item_count::float8 AS item_count, created_at, updated_at
           FROM orders.customer_orders`,
      ),
      analyticsDaily: await q(
        client,
        `SELECT day::text AS day, status, orders::float8 AS orders, revenue::float8 AS revenue
           FROM orders.order_analytics_daily`,
      ),
      analyticsSkus: await q(
        client,
        `SELECT sku, quantity::float8 AS quantity, revenue::float8 AS revenue, orders::float8 AS orders
           FROM orders.order_analytics_skus`,
      ),
      analyticsOrders: await q(
        client,
        `SELECT order_id, day::text AS day, status, total::float8 AS total, lines
           FROM orders.order_analytics_orders`,
      ),
      checkpoints: await q(
        client,
        `SELECT projection, stream_id, version::float8 AS version
           FROM orders.projection_checkpoints WHERE stream_id LIKE 'order-%'`,
      ),
    };
    const gatewayKeys = await q<GatewayKey>(
      client,
      `SELECT scope, key, method, path, state, resource_id, response_status FROM gateway.idempotency_keys`,
    );
    const prepared = await q<{ gid: string }>(
      client,
      `SELECT gid FROM pg_prepared_xacts WHERE starts_with(gid, '${PROJECT_GID_PREFIX}') ORDER BY prepared`,
    );
    const bus = await readBusTables((text) => q(client, text));
    await client.query('COMMIT');
    return {
      streams,
      readModels,
      undelivered,
      gatewayKeys,
      preparedGids: prepared.map((r) => r.gid),
      bus,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
