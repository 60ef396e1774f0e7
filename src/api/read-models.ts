/**
 * Queries of the orders read model (orders.order_summary, maintained by the projections in
 * src/eventstore/projections) in the shape the API needs: one order, and a keyset-paged list, newest first.
 * The cursor is opaque to clients: base64url of the last row's exact (created_at, order_id).
 */
import type { Pool } from 'pg';
import type { ShippingAddress } from '../workflows/contracts';
import { InvalidCursorError, type ListOrdersQuery, type OrderLineRecord, type OrderRecord } from './ports';

interface SummaryRow {
  order_id: string;
  customer_id: string;
  status: OrderRecord['status'];
  saga_state: OrderRecord['sagaState'];
  items: unknown;
  total: number;
  currency: string;
  shipping_address: ShippingAddress | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  created_key: string;
}

const COLUMNS = `order_id, customer_id, status, saga_state, items, total, currency, shipping_address,
  failure_reason, created_at, updated_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

function lines(items: unknown): OrderLineRecord[] {
  if (!Array.isArray(items)) return [];
  return items.map((raw) => {
    const i = raw as Partial<OrderLineRecord> & { price?: number };
    return {
      sku: String(i.sku),
      quantity: Number(i.quantity),
      unitPrice: Number(i.unitPrice ?? i.price ?? 0),
    };
  });
}

const toRecord = (r: SummaryRow): OrderRecord => ({
  orderId: r.order_id,
  customerId: r.customer_id,
  status: r.status,
  sagaState: r.saga_state,
  items: lines(r.items),
  total: r.total,
  currency: 'USD',
  shippingAddress: r.shipping_address ?? undefined,
  failureReason: r.failure_reason ?? undefined,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export function encodeCursor(createdKey: string, orderId: string): string {
  return Buffer.from(JSON.stringify([createdKey, orderId])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdKey: string; orderId: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(parsed[0]) &&
      typeof parsed[1] === 'string' &&
      parsed[1].length <= 128
    ) {
      return { createdKey: parsed[0], orderId: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('invalid cursor');
}

export function orderReadModel(pool: Pool) {
  return {
    async getOrder(orderId: string): Promise<OrderRecord | undefined> {
      const r = await pool.query<SummaryRow>(
        `SELECT ${COLUMNS} FROM orders.order_summary WHERE order_id = $1`,
        [orderId],
      );
      const row = r.rows[0];
      return row ? toRecord(row) : undefined;
    },

    async listOrders(query: ListOrdersQuery): Promise<{ items: OrderRecord[]; nextCursor: string | null }> {
      const where: string[] = [];
      const values: unknown[] = [];
      if (query.customerId !== undefined) {
        values.push(query.customerId);
        where.push(`customer_id = $${values.length}`);
      }
      if (query.status !== undefined) {
        values.push(query.status);
        where.push(`status = $${values.length}`);
      }
      if (query.cursor !== undefined) {
        const c = decodeCursor(query.cursor);
        values.push(c.createdKey, c.orderId);
        where.push(`(created_at, order_id) < ($${values.length - 1}::timestamptz, $${values.length})`);
      }
      values.push(query.limit + 1);
      const r = await pool.query<SummaryRow>(
        `SELECT ${COLUMNS} FROM orders.order_summary
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at DESC, order_id DESC
          LIMIT $${values.length}`,
        values,
      );
      const page = r.rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toRecord),
        nextCursor:
          r.rows.length > query.limit && last ? encodeCursor(last.created_key, last.order_id) : null,
      };
    },
  };
}
