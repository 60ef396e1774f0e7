/**
 * Reading one stream: its events in version order (a version range, or as of an instant), and its current
 * version, which is the newest entry of the unique (stream_id, version) index (there is no stream row).
 */
import type { StoreContext } from './context';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './sql';
import type { ReadStreamOptions, StoredEvent } from './types';

export async function readStream(
  ctx: StoreContext,
  streamId: string,
  opts: ReadStreamOptions = {},
): Promise<StoredEvent[]> {
  const s = ctx.quoted;
  const r = await ctx.pool.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${s}.events
     WHERE stream_id = $1 AND version >= $2 AND version <= $3
       AND ($4::timestamptz IS NULL OR version <= (
         SELECT coalesce(max(version), 0) FROM ${s}.events WHERE stream_id = $1 AND recorded_at <= $4))
     ORDER BY version`,
    [streamId, opts.fromVersion ?? 1, opts.toVersion ?? Number.MAX_SAFE_INTEGER, opts.asOf ?? null],
  );
  return r.rows.map((row) => toStoredEvent(row, ctx.upcasters));
}

/** current version of a stream (0 when it does not exist) */
export async function readStreamVersion(ctx: StoreContext, streamId: string): Promise<number> {
  const r = await ctx.pool.query<{ version: number }>(
    `SELECT coalesce(max(version), 0) AS version FROM ${ctx.quoted}.events WHERE stream_id = $1`,
    [streamId],
  );
  return r.rows[0]!.version;
}
