/**
 * Reading every stream in one global order that is safe against gaps: only events of transactions below the
 * reader's snapshot xmin, ordered by (transaction id, position), so nothing can later appear before a
 * checkpoint. The proof is in README.md ("Reading").
 */
import type { StoreContext } from './context';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './sql';
import type { AllPosition, ReadAllOptions, ReadAllResult } from './types';

export const START_POSITION: AllPosition = Object.freeze({ transactionId: '0', position: 0 });

export async function readAll(ctx: StoreContext, opts: ReadAllOptions = {}): Promise<ReadAllResult> {
  const after = opts.after ?? START_POSITION;
  const r = await ctx.pool.query<EventRow & { horizon: string }>({
    name: `es_read_all_${ctx.schema}`,
    text: `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
      SELECT h.xmin::text AS horizon, e.*
      FROM h LEFT JOIN LATERAL (
        SELECT ${EVENT_COLUMNS} FROM ${ctx.quoted}.events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id < h.xmin
        ORDER BY transaction_id, global_position
        LIMIT $3) e ON true`,
    values: [after.transactionId, after.position, opts.limit ?? 1000],
  });
  const horizon = r.rows[0]!.horizon;
  const events = r.rows.filter((x) => x.event_id !== null).map((row) => toStoredEvent(row, ctx.upcasters));
  const last = events[events.length - 1];
  return {
    events,
    next: last ? { transactionId: last.transactionId, position: last.globalPosition } : after,
    horizon,
  };
}
