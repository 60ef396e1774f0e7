/**
 * Projections: read models fed by the outbox relay (live) or by readAll (rebuild), each event applied in
 * stream order against a durable per-stream checkpoint (a duplicate is skipped, a gap waited for). TypeScript
 * and SQL projections share one bookkeeping statement; README.md ("Projections") has the details.
 */
import type { PoolClient } from 'pg';
import { isEnvelope, upcastEnvelope, type EventEnvelope } from '../envelope';
import type { OutboxDelivery, OutboxSubscriber, SqlStatement } from '../relay-types';
import { quoteSchema } from '../sql';
import type { UpcasterRegistry } from '../types';

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
/** the advisory lock class of a projection's checkpoints: shared by live deliveries, exclusive in a rebuild */
export const PROJECTION_LOCK_CLASS = 7_294_200;

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
