/**
 * Health of a service's event store: append to and read back the `$health` stream, relay lag (the oldest
 * undelivered outbox row) and, for the projections the caller names, their lag from the checkpoints against
 * the log. Whether a lag is too much is the caller's decision (the API: RELAY_LAG_LIMIT_S).
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { quoteSchema } from './sql';
import { createEventStore } from './store';

export const HEALTH_STREAM = '$health';

export interface ProjectionLag {
  /** streams with an event past the projection's checkpoint of that stream */
  streamsBehind: number;
  /**
   * how long the oldest event past its stream's checkpoint has waited since it was recorded; 0 when the
   * projection has applied every event looked at. A projection that moves applies each event soon after it
   * is written, so a large value means its checkpoint is behind the log and not moving.
   */
  lagSeconds: number;
}

export interface EventStoreHealth {
  ok: boolean;
  schema: string;
  appendMs: number;
  readBackMs: number;
  relay: { undelivered: number; lagSeconds: number; failing: number; lastError: string | null };
  projections: Record<string, ProjectionLag>;
  error?: string;
}

/** How many of the newest events of the projections' streams the projection check compares. */
export const PROJECTION_CHECK_TAIL = 1000;

export interface EventStoreHealthOptions {
  /** projections (checkpoint names) whose lag to report; default none */
  projections?: string[];
  /** the streams those projections read (required with projections), e.g. 'order-' */
  streamPrefix?: string;
  /** how many of the newest events of those streams to compare; default PROJECTION_CHECK_TAIL */
  tail?: number;
}

export async function checkEventStoreHealth(
  pool: Pool,
  schema: string,
  opts: EventStoreHealthOptions = {},
): Promise<EventStoreHealth> {
  const projections = opts.projections ?? [];
  if (projections.length > 0 && opts.streamPrefix === undefined)
    throw new Error('checkEventStoreHealth: streamPrefix is required with projections');
  const s = quoteSchema(schema);
  const store = createEventStore({ pool, schema, snapshotEvery: 0 });
  const result: EventStoreHealth = {
    ok: false,
    schema,
    appendMs: -1,
    readBackMs: -1,
    relay: { undelivered: 0, lagSeconds: 0, failing: 0, lastError: null },
    projections: {},
  };
  try {
    const id = randomUUID();
    const t0 = performance.now();
    const appended = await store.append(HEALTH_STREAM, 'any', [
      { id, type: 'HealthChecked', data: { at: new Date().toISOString() } },
    ]);
    const t1 = performance.now();
    const back = await store.readStream(HEALTH_STREAM, {
      fromVersion: appended.nextVersion,
      toVersion: appended.nextVersion,
    });
    const t2 = performance.now();
    result.appendMs = Math.round((t1 - t0) * 10) / 10;
    result.readBackMs = Math.round((t2 - t1) * 10) / 10;
    const readOk = back.length === 1 && back[0]!.id === id;

    const relay = await pool.query<{
      undelivered: number;
      lag: number | null;
      failing: number;
      last_error: string | null;
    }>(
      `SELECT count(*)::int AS undelivered,
              extract(epoch FROM now() - min(created_at))::float8 AS lag,
              count(*) FILTER (WHERE attempts > 0)::int AS failing,
              (SELECT last_error FROM ${s}.outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL
               ORDER BY position LIMIT 1) AS last_error
       FROM ${s}.outbox WHERE delivered_at IS NULL`,
    );
    const r = relay.rows[0]!;
    result.relay = {
      undelivered: r.undelivered,
      lagSeconds: Math.max(0, r.lag ?? 0),
      failing: r.failing,
      lastError: r.last_error,
    };

    if (projections.length > 0) {
      result.projections = await projectionLag(pool, schema, projections, {
        streamPrefix: opts.streamPrefix!,
        tail: opts.tail ?? PROJECTION_CHECK_TAIL,
      });
    }
    result.ok = readOk;
    if (!readOk) result.error = 'the health event could not be read back';
  } catch (err) {
    result.error = (err as Error).message;
  }
  return result;
}

/**
 * Each projection's checkpoints against the log. The events looked at are the newest `tail` events of the
 * projections' streams (a backward range of the log's primary key) and the relay's backlog (the undelivered
 * outbox rows, a partial index), so the check costs the same on any size of log. Together they cover both
 * ways a projection falls behind: one that stopped (not subscribed, failing on everything) leaves the newest
 * events unapplied, and one stuck on a stream (a gap it waits for, a failing event) keeps that stream's
 * outbox row undelivered, however old it is.
 */
async function projectionLag(
  pool: Pool,
  schema: string,
  projections: string[],
  opts: { streamPrefix: string; tail: number },
): Promise<Record<string, ProjectionLag>> {
  const s = quoteSchema(schema);
  const r = await pool.query<{ projection: string; behind: number; lag: number | null }>(
    `WITH looked_at AS (
       (SELECT stream_id, version, recorded_at FROM ${s}.events
        WHERE stream_id LIKE $2 ORDER BY global_position DESC LIMIT $3)
       UNION ALL
       SELECT aggregate_id, (payload ->> 'version')::bigint, created_at FROM ${s}.outbox
       WHERE delivered_at IS NULL AND aggregate_id LIKE $2 AND jsonb_typeof(payload -> 'version') = 'number'
     )
     SELECT p.name AS projection,
            count(DISTINCT x.stream_id)::int AS behind,
            extract(epoch FROM now() - min(x.recorded_at))::float8 AS lag
     FROM unnest($1::text[]) AS p(name)
     CROSS JOIN looked_at x
     LEFT JOIN ${s}.projection_checkpoints c ON c.projection = p.name AND c.stream_id = x.stream_id
     WHERE x.version > coalesce(c.version, 0)
     GROUP BY p.name`,
    [projections, `${opts.streamPrefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`, opts.tail],
  );
  const lag: Record<string, ProjectionLag> = {};
  for (const name of projections) {
    const row = r.rows.find((x) => x.projection === name);
    lag[name] = { streamsBehind: row?.behind ?? 0, lagSeconds: Math.max(0, row?.lag ?? 0) };
  }
  return lag;
}
