/**
 * Health of a service's event store: appends a health event to the dedicated stream `$health`, reads it
 * back, and reports relay lag (age of the oldest undelivered outbox row) and, where the schema has
 * projections (orders), projection lag (streams with published events a projection has not applied yet, and
 * the age of the oldest such event, both read from the undelivered outbox rows).
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createEventStore, quoteSchema } from './store';

export const HEALTH_STREAM = '$health';

export interface ProjectionLag {
  /** streams with events the projection has not applied */
  streamsBehind: number;
  /** age of the oldest unapplied event; 0 when up to date */
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

export async function checkEventStoreHealth(
  pool: Pool,
  schema: string,
  opts: { projections?: string[]; streamPrefix?: string } = {},
): Promise<EventStoreHealth> {
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

    const projections =
      opts.projections ??
      (schema === 'orders' ? ['order_summary', 'customer_orders', 'order_analytics'] : []);
    const prefix = opts.streamPrefix ?? 'order-';
    for (const name of projections) {
      // projections are fed by the relay, so an event a projection has not applied is a published event whose
      // outbox row is still undelivered (a row is marked delivered once every subscriber applied it) and whose
      // version is past the projection's checkpoint: the partial index on undelivered rows keeps this cheap
      const lag = await pool.query<{ behind: number; lag: number | null }>(
        `SELECT count(DISTINCT o.aggregate_id)::int AS behind,
                extract(epoch FROM now() - min(o.created_at))::float8 AS lag
         FROM ${s}.outbox o
         LEFT JOIN ${s}.projection_checkpoints c ON c.projection = $1 AND c.stream_id = o.aggregate_id
         WHERE o.delivered_at IS NULL AND o.aggregate_id LIKE $2
           AND CASE WHEN jsonb_typeof(o.payload -> 'version') = 'number'
                    THEN (o.payload ->> 'version')::numeric > coalesce(c.version, 0) END`,
        [name, `${prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`],
      );
      result.projections[name] = {
        streamsBehind: lag.rows[0]!.behind,
        lagSeconds: Math.max(0, lag.rows[0]!.lag ?? 0),
      };
    }
    result.ok = readOk;
    if (!readOk) result.error = 'the health event could not be read back';
  } catch (err) {
    result.error = (err as Error).message;
  }
  return result;
}
