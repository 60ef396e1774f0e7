/**
 * Stuck choreographed orders: the orders service records each saga's progress (orders.choreography_progress:
 * state, last progress, until when it may stay there) whenever it moves the saga; an order is stuck when
 * that due time lies more than a grace in the past. A healthy order never is: its deadline message moves it
 * (to the next state or to compensation) by then, so a stuck order means a worker, the bus or an undo is not
 * working (e.g. an undo that kept failing was dead-lettered).
 */
import type { Pool } from 'pg';
import { progressDeadlineMs, type ChoreographyState } from '../../domain/choreography';

type Running = Exclude<ChoreographyState, { status: 'NONE' }>;

/** The list filter `GET /orders?status=STUCK` (beside the order statuses) */
export const STUCK_FILTER = 'STUCK';

/** Upserts the saga's progress; a write of fewer events than the stored one (a late retry) changes nothing. */
export async function recordProgress(pool: Pool, s: Running): Promise<void> {
  const events = 1 + s.transitions.length + s.undone.length;
  const deadline = progressDeadlineMs(s.status, s.timings);
  const due = deadline === undefined ? null : new Date(Date.parse(s.progressedAt) + deadline);
  await pool.query(
    `INSERT INTO orders.choreography_progress
       (order_id, customer_id, total, currency, item_count, created_at, state, events, progressed_at, due_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (order_id) DO UPDATE
       SET state = excluded.state, events = excluded.events,
           progressed_at = excluded.progressed_at, due_at = excluded.due_at
       WHERE orders.choreography_progress.events < excluded.events`,
    [
      s.orderId,
      s.order.customerId,
      s.order.total,
      s.order.currency,
      s.order.lines.length,
      s.order.placedAt,
      s.status,
      events,
      s.progressedAt,
      due,
    ],
  );
}

export interface StuckSummary {
  /** choreographed orders past their deadline plus the grace */
  count: number;
  /** seconds since the longest-stuck of them last progressed (0: none) */
  oldestAgeSeconds: number;
}

/**
 * The stuck orders as list rows (the read models' columns), the grace in ms as parameter $n: from this
 * table alone, so that they are listed even when the orders projection is what does not move.
 */
export const stuckRows = (graceParam: number): string =>
  `(SELECT customer_id, order_id, 'PENDING'::text AS status, state AS saga_state, total, currency, item_count,
      created_at, progressed_at AS updated_at
    FROM orders.choreography_progress
    WHERE due_at < now() - $${graceParam} * interval '1 millisecond') o`;

export async function stuckSummary(pool: Pool, graceMs: number): Promise<StuckSummary> {
  const r = await pool.query<{ count: number; oldest: number | null }>(
    `SELECT count(*)::int AS count,
            extract(epoch FROM now() - min(progressed_at))::float8 AS oldest
     FROM orders.choreography_progress
     WHERE due_at < now() - $1 * interval '1 millisecond'`,
    [graceMs],
  );
  const row = r.rows[0];
  return { count: row?.count ?? 0, oldestAgeSeconds: Math.round((row?.oldest ?? 0) * 10) / 10 };
}
