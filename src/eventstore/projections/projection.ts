/**
 * Projections: read models fed by the outbox relay (live) or by readAll (rebuild), with a durable
 * per-stream checkpoint each (`<schema>.projection_checkpoints`: the last version applied per stream).
 *
 * applyInOrder locks the stream's checkpoint row, then
 * - ignores an event whose version is at or below the checkpoint (already applied: idempotent redelivery),
 * - refuses an event beyond checkpoint + 1 with ProjectionGapError (the missing version is waited for, never
 *   skipped: the relay retries the message with backoff; a rebuild holds it back until the gap is filled),
 * - otherwise applies it and advances the checkpoint, in the same transaction.
 */
import type { Pool, PoolClient } from 'pg';
import { isEnvelope, toEnvelope, upcastEnvelope, type EventEnvelope } from '../envelope';
import type { OutboxSubscriber } from '../outbox-relay';
import { createEventStore, quoteSchema, START_POSITION } from '../store';
import type { AllPosition, UpcasterRegistry } from '../types';

export interface Projection {
  /** checkpoint key and subscriber name */
  name: string;
  /** the read model's tables (schema-qualified, trusted identifiers): emptied by a rebuild */
  tables: string[];
  /** events of the streams this projection reads, e.g. stream ids starting with 'order-' */
  handles: (env: EventEnvelope) => boolean;
  apply: (client: PoolClient, env: EventEnvelope) => Promise<void>;
}

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

/**
 * Applies an event to several projections in the caller's transaction, in each projection's stream order: one
 * query locks (and creates) the stream's checkpoints of all of them, one advances those it applied (two round
 * trips of bookkeeping per message, whatever the number of projections). Per projection, a version at or
 * below its checkpoint is skipped ('duplicate'), one beyond checkpoint + 1 raises ProjectionGapError (the
 * caller rolls back). The checkpoint locks are shared advisory locks per projection: live deliveries run in
 * parallel, a rebuild (exclusive) waits for them.
 */
export async function applyAllInOrder(
  client: PoolClient,
  schema: string,
  projections: Projection[],
  env: EventEnvelope,
): Promise<ApplyOutcome[]> {
  const s = quoteSchema(schema);
  const names = projections.map((p) => p.name);
  // in name order, so that two transactions take the checkpoint rows in the same order
  const cp = await client.query<{ projection: string; version: number }>(
    `INSERT INTO ${s}.projection_checkpoints AS c (projection, stream_id, version)
     SELECT n, $2, 0
     FROM unnest($1::text[]) n, LATERAL (SELECT pg_advisory_xact_lock_shared(${PROJECTION_LOCK_CLASS}, hashtext(n))) l
     ORDER BY n
     ON CONFLICT (projection, stream_id) DO UPDATE SET version = c.version
     RETURNING projection, version`,
    [names, env.streamId],
  );
  const at = new Map(cp.rows.map((r) => [r.projection, r.version]));
  const outcomes: ApplyOutcome[] = [];
  const applied: string[] = [];
  for (const projection of projections) {
    const version = at.get(projection.name) ?? 0;
    if (env.version <= version) {
      outcomes.push('duplicate');
      continue;
    }
    if (env.version > version + 1)
      throw new ProjectionGapError(projection.name, env.streamId, version, env.version);
    await projection.apply(client, env);
    applied.push(projection.name);
    outcomes.push('applied');
  }
  if (applied.length > 0) {
    await client.query(
      `UPDATE ${s}.projection_checkpoints SET version = $3, updated_at = now()
       WHERE projection = ANY($1::text[]) AND stream_id = $2`,
      [applied, env.streamId, env.version],
    );
  }
  return outcomes;
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
 * message, not one per projection and message, and none for the mark). Each projection keeps its own
 * checkpoint, so a redelivery after a partial failure skips what was applied; a failure in one projection
 * rolls the message back for all of them and the relay retries it.
 */
export function projectionsSubscriber(
  schema: string,
  projections: Projection[],
  upcasters?: UpcasterRegistry,
): OutboxSubscriber {
  return {
    name: projections.map((p) => p.name).join('+'),
    accepts: (topic) => topic.startsWith(`${schema}.`),
    handleInTransaction: async (client, msg) => {
      if (!isEnvelope(msg.payload)) return;
      const env = upcastEnvelope(upcasters, msg.payload);
      const mine = projections.filter((p) => p.handles(env));
      if (mine.length > 0) await applyAllInOrder(client, schema, mine, env);
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
