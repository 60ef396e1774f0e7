/**
 * Projections: read models fed by the outbox relay (live) or by readAll (rebuild), with a durable
 * per-stream checkpoint each (`<schema>.projection_checkpoints`: the last version applied per stream).
 *
 * Applying an event (applyAllInOrder, in the caller's transaction) takes each projection's shared lock and
 * - skips an event whose version is at or below the checkpoint (already applied: idempotent redelivery),
 * - refuses an event beyond checkpoint + 1 with ProjectionGapError (the missing version is waited for, never
 *   skipped: the relay retries the message with backoff; a rebuild holds it back until the gap is filled),
 * - otherwise applies it and advances the checkpoint, in the same transaction.
 * That bookkeeping is the SQL function `<schema>.advance_projections` (migrations/0005), so it is one round
 * trip, and the same for both kinds of projection:
 * - a TypeScript projection (`apply`) runs its own statements with the caller's client;
 * - a SQL projection (`sqlFunction`) is a Postgres function that applies one event. All of them run in the
 *   statement that advances the checkpoints (`<schema>.apply_projections`), so applying an event to any
 *   number of SQL projections is one statement, which the relay also runs together with its "delivered"
 *   mark (see projectionsSubscriber).
 */
import type { Pool, PoolClient } from 'pg';
import { isEnvelope, toEnvelope, upcastEnvelope, type EventEnvelope } from '../envelope';
import type { OutboxDelivery, OutboxSubscriber, SqlStatement } from '../outbox-relay';
import { createEventStore, quoteSchema, START_POSITION } from '../store';
import type { AllPosition, UpcasterRegistry } from '../types';

interface ProjectionBase {
  /** checkpoint key and subscriber name */
  name: string;
  /** the read model's tables (schema-qualified, trusted identifiers): emptied by a rebuild */
  tables: string[];
  /** events of the streams this projection reads, e.g. stream ids starting with 'order-' */
  handles: (env: EventEnvelope) => boolean;
}

export type Projection = ProjectionBase &
  (
    | { apply: (client: PoolClient, env: EventEnvelope) => Promise<void>; sqlFunction?: undefined }
    | {
        /**
         * a schema-qualified Postgres function `(stream_id text, version bigint, type text, data jsonb,
         * recorded_at timestamptz) RETURNS void` that applies one event (trusted identifier, from a migration)
         */
        sqlFunction: string;
        apply?: undefined;
      }
  );

export class ProjectionGapError extends Error {
  override name = 'ProjectionGapError';
  constructor(
    readonly projection: string,
    readonly streamId: string,
    readonly applied: number,
    readonly received: number,
  ) {
    super(`${projection}: ${streamId} is at version ${applied}, received ${received}; waiting for the gap`);
  }
}

/** the SQLSTATE that advance_projections raises for a gap (migrations/0005) */
const GAP_SQLSTATE = 'OSG01';
const PROJECTION_LOCK_CLASS = 7_294_200;

export type ApplyOutcome = 'applied' | 'duplicate';

/** One projection's applyAllInOrder (below): the rebuild's path and the single-projection subscriber's. */
export async function applyInOrder(
  client: PoolClient,
  schema: string,
  projection: Projection,
  env: EventEnvelope,
): Promise<ApplyOutcome> {
  const [outcome] = await applyAllInOrder(client, schema, [projection], env);
  return outcome!;
}

/** The one statement that advances the checkpoints of `projections` and runs the SQL ones. */
function applyStatement(schema: string, projections: Projection[], env: EventEnvelope): SqlStatement {
  return {
    name: `projections_apply_${schema}`,
    text: `SELECT ${quoteSchema(schema)}.apply_projections($1::text[], $2::text[], $3, $4, $5, $6::jsonb, $7) AS applied`,
    values: [
      projections.map((p) => p.name),
      projections.map((p) => p.sqlFunction ?? null),
      env.streamId,
      env.version,
      env.type,
      JSON.stringify(env.data ?? null),
      env.recordedAt,
    ],
  };
}

/** A gap raised in SQL (SQLSTATE OSG01) as a ProjectionGapError; anything else unchanged. */
function asProjectionError(err: unknown): unknown {
  const e = err as { code?: string; detail?: string };
  if (e?.code !== GAP_SQLSTATE || typeof e.detail !== 'string') return err;
  try {
    const d = JSON.parse(e.detail) as {
      projection: string;
      streamId: string;
      applied: number;
      received: number;
    };
    return new ProjectionGapError(d.projection, d.streamId, Number(d.applied), Number(d.received));
  } catch {
    return err;
  }
}

/**
 * Applies an event to several projections in the caller's transaction, in each projection's stream order:
 * one statement advances the checkpoints of all of them (and runs the SQL projections that apply it), then
 * the TypeScript projections that apply it run. Per projection, a version at or below its checkpoint is
 * skipped ('duplicate'), one beyond checkpoint + 1 raises ProjectionGapError (the caller rolls back). The
 * checkpoint locks are shared advisory locks per projection: live deliveries run in parallel, a rebuild
 * (exclusive) waits for them.
 */
export async function applyAllInOrder(
  client: PoolClient,
  schema: string,
  projections: Projection[],
  env: EventEnvelope,
): Promise<ApplyOutcome[]> {
  let applied: Set<string>;
  try {
    const r = await client.query<{ applied: string[] }>(applyStatement(schema, projections, env));
    applied = new Set(r.rows[0]!.applied);
  } catch (err) {
    throw asProjectionError(err);
  }
  for (const p of projections) if (p.apply && applied.has(p.name)) await p.apply(client, env);
  return projections.map((p) => (applied.has(p.name) ? 'applied' : 'duplicate'));
}

/** The relay subscriber of one projection (see projectionsSubscriber). */
export function projectionSubscriber(
  schema: string,
  projection: Projection,
  upcasters?: UpcasterRegistry,
): OutboxSubscriber {
  return { ...projectionsSubscriber(schema, [projection], upcasters), name: projection.name };
}

/**
 * One relay subscriber for several projections of a schema: each message is applied to every projection
 * that handles it in the relay's transaction for that message, which also marks it delivered (one commit per
 * message, not one per projection and message, and none for the mark). When every projection that handles a
 * message is a SQL projection, the subscriber hands the relay that work as one statement (`statementFor`),
 * which the relay runs together with the mark: one round trip per message. Each projection keeps its own
 * checkpoint, so a redelivery after a partial failure skips what was applied; a failure in one projection
 * rolls the message back for all of them and the relay retries it.
 */
export function projectionsSubscriber(
  schema: string,
  projections: Projection[],
  upcasters?: UpcasterRegistry,
): OutboxSubscriber {
  const mine = (msg: OutboxDelivery): { env: EventEnvelope; handling: Projection[] } | undefined => {
    if (!isEnvelope(msg.payload)) return undefined;
    const env = upcastEnvelope(upcasters, msg.payload);
    const handling = projections.filter((p) => p.handles(env));
    return handling.length > 0 ? { env, handling } : undefined;
  };
  return {
    name: projections.map((p) => p.name).join('+'),
    accepts: (topic) => topic.startsWith(`${schema}.`),
    handleInTransaction: async (client, msg) => {
      const m = mine(msg);
      if (m) await applyAllInOrder(client, schema, m.handling, m.env);
    },
    statementFor: (msg) => {
      const m = mine(msg);
      if (!m) return null;
      if (m.handling.some((p) => p.apply)) return undefined; // TypeScript projections: handleInTransaction
      return applyStatement(schema, m.handling, m.env);
    },
  };
}

export interface RebuildResult {
  projection: string;
  applied: number;
  checkpoint: AllPosition;
}

/**
 * Rebuilds a read model from the log in one transaction: empties its tables and checkpoints, replays
 * readAll, commits. Readers see the old model until the commit; live deliveries wait on the projection's
 * advisory lock and then de-duplicate against the rebuilt checkpoints. The replay runs until every transaction that started
 * before the rebuild has finished and been read (readAll's horizon passes the starting snapshot's xmax), so
 * an event delivered live just before the rebuild is never lost. Events of one stream that readAll returns
 * out of version order (possible for concurrent 'any' appends) are held until their predecessor is applied.
 */
export async function rebuildProjection(
  pool: Pool,
  schema: string,
  projection: Projection,
  opts: { upcasters?: UpcasterRegistry; batchSize?: number } = {},
): Promise<RebuildResult> {
  const s = quoteSchema(schema);
  const store = createEventStore({ pool, schema, ...(opts.upcasters ? { upcasters: opts.upcasters } : {}) });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // waits for live deliveries in flight; later ones wait for the commit (see applyInOrder)
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      PROJECTION_LOCK_CLASS,
      projection.name,
    ]);
    // taken after the lock: every event a live delivery applied so far is from a transaction below it
    const target = BigInt(
      (await client.query<{ xmax: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax'))
        .rows[0]!.xmax,
    );
    // DELETE, not TRUNCATE: readers keep seeing the old model (MVCC) until the commit
    for (const t of projection.tables) await client.query(`DELETE FROM ${t}`);
    await client.query(`DELETE FROM ${s}.projection_checkpoints WHERE projection = $1`, [projection.name]);
    const versions = new Map<string, number>();
    const held = new Map<string, Map<number, EventEnvelope>>();
    let applied = 0;
    const applyOne = async (env: EventEnvelope) => {
      await applyInOrder(client, schema, projection, env);
      versions.set(env.streamId, env.version);
      applied += 1;
    };
    let next = START_POSITION;
    for (;;) {
      const r = await store.readAll({ after: next, limit: opts.batchSize ?? 1000 });
      next = r.next;
      for (const e of r.events) {
        const env = toEnvelope(e);
        if (!projection.handles(env)) continue;
        const at = versions.get(env.streamId) ?? 0;
        if (env.version <= at) continue;
        if (env.version > at + 1) {
          const h = held.get(env.streamId) ?? new Map<number, EventEnvelope>();
          h.set(env.version, env);
          held.set(env.streamId, h);
          continue;
        }
        await applyOne(env);
        const h = held.get(env.streamId);
        for (let n = h?.get(env.version + 1); h && n; n = h.get(n.version + 1)) {
          h.delete(n.version);
          await applyOne(n);
        }
      }
      if (r.events.length > 0) continue;
      if (BigInt(r.horizon) >= target) break;
      await new Promise((res) => setTimeout(res, 20)); // an older transaction is still running
    }
    const stuck = [...held.values()].reduce((n, h) => n + h.size, 0);
    if (stuck > 0)
      throw new Error(`${projection.name}: ${stuck} events wait for versions missing from the log`);
    await client.query('COMMIT');
    return { projection: projection.name, applied, checkpoint: next };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
