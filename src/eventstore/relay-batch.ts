/**
 * One relay batch: the due head of each aggregate and its following messages, delivered per aggregate in
 * order (aggregates in parallel), each marked delivered once every subscriber accepted it; the first
 * failure stops its aggregate and schedules a retry with backoff while the others carry on.
 */
import { withTransaction } from '../db/pool';
import type { EventMetadata } from './types';
import type { OutboxDelivery, OutboxSubscriber, RelayContext, SqlStatement } from './relay-types';

interface OutboxRow {
  position: number;
  message_id: string;
  topic: string;
  aggregate_id: string;
  payload: unknown;
  metadata: EventMetadata;
  attempts: number;
  created_at: Date;
}

export interface BatchOutcome {
  fetched: number;
  /** fetch again at once: the batch was full, or a delivery failed and the next due time changed */
  more: boolean;
  /** how long until the earliest head that is not due yet (a retry waiting out its backoff) */
  nextDueMs: number | undefined;
}

/** Exponential backoff with ±20 % jitter (pure; exported for tests). */
export function backoffDelayMs(
  attempts: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** Fetches and delivers one batch. */
export async function processBatch(ctx: RelayContext): Promise<BatchOutcome> {
  const { rows, nextDueMs } = await fetchBatch(ctx);
  if (rows.length === 0) return { fetched: 0, more: false, nextDueMs };
  ctx.stats.batches += 1;
  const groups = new Map<string, OutboxRow[]>();
  for (const r of rows) {
    const g = groups.get(r.aggregate_id);
    if (g) g.push(r);
    else groups.set(r.aggregate_id, [r]);
  }
  const full = groups.size >= ctx.batchSize || [...groups.values()].some((g) => g.length >= ctx.perAggregate);
  const queue = [...groups.values()];
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(ctx.concurrency, queue.length) }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) if (!(await deliverAggregate(ctx, g))) failed = true;
    }),
  );
  return { fetched: rows.length, more: full || failed, nextDueMs };
}

/**
 * The due heads' aggregates (up to batchSize) with up to perAggregate messages each, and, in the same round
 * trip, how long until the earliest head that is not due yet.
 */
async function fetchBatch(ctx: RelayContext): Promise<{ rows: OutboxRow[]; nextDueMs: number | undefined }> {
  const s = ctx.quoted;
  const r = await ctx.pool.query<OutboxRow & { next_due_ms: number | null }>({
    name: `outbox_batch_${ctx.schema}`,
    text: `WITH heads AS (
        SELECT DISTINCT ON (aggregate_id) aggregate_id, position, next_attempt_at
        FROM ${s}.outbox WHERE delivered_at IS NULL ORDER BY aggregate_id, position
      ), due AS (
        SELECT aggregate_id FROM heads WHERE next_attempt_at <= now() ORDER BY position LIMIT $1
      ), later AS (
        SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS ms
        FROM heads WHERE next_attempt_at > now()
      )
      SELECT l.ms AS next_due_ms, o.*
      FROM later l LEFT JOIN (
        SELECT x.position, x.message_id, x.topic, x.aggregate_id, x.payload, x.metadata, x.attempts,
               x.created_at
        FROM due d CROSS JOIN LATERAL (
          SELECT * FROM ${s}.outbox x
          WHERE x.aggregate_id = d.aggregate_id AND x.delivered_at IS NULL
          ORDER BY x.position LIMIT $2
        ) x
      ) o ON true
      ORDER BY o.position`,
    values: [ctx.batchSize, ctx.perAggregate],
  });
  const ms = r.rows[0]?.next_due_ms;
  return {
    rows: r.rows.filter((x) => x.message_id !== null),
    nextDueMs: ms === null || ms === undefined ? undefined : Math.max(0, ms),
  };
}

/** every message delivered (or the batch stopped); false when a delivery failed */
async function deliverAggregate(ctx: RelayContext, rows: OutboxRow[]): Promise<boolean> {
  const unmarked: number[] = [];
  let failure: { row: OutboxRow; error: string } | undefined;
  for (const row of rows) {
    if (ctx.aborted || ctx.stopping) break;
    try {
      if (await deliver(ctx, row)) {
        ctx.stats.delivered += 1;
        ctx.stats.lastDeliveredAt = new Date();
      } else unmarked.push(row.position);
    } catch (err) {
      failure = { row, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      break;
    }
  }
  if (ctx.aborted) return true; // crashed: nothing more is marked
  if (unmarked.length > 0) {
    await ctx.pool.query(
      `UPDATE ${ctx.quoted}.outbox SET delivered_at = now() WHERE position = ANY($1::bigint[]) AND delivered_at IS NULL`,
      [unmarked],
    );
    ctx.stats.delivered += unmarked.length;
    ctx.stats.lastDeliveredAt = new Date();
  }
  if (!failure) return true;
  await recordFailure(ctx, failure.row, failure.error);
  return false;
}

/**
 * One message to every subscriber that accepts it: `handle` subscribers first (at least once), then the
 * transactional work with the delivered mark, as one statement when it is a single statement. True when
 * it was marked here; false when it had no transactional work and still needs its mark.
 */
async function deliver(ctx: RelayContext, row: OutboxRow): Promise<boolean> {
  const msg: OutboxDelivery = {
    id: row.message_id,
    topic: row.topic,
    aggregateId: row.aggregate_id,
    payload: row.payload,
    metadata: row.metadata,
    position: row.position,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
  const subs = ctx.subscribers.filter((sub) => !sub.accepts || sub.accepts(msg.topic));
  for (const sub of subs) if (sub.handle) await sub.handle(msg);
  // transactional work: each subscriber's statement (null: nothing to write), else its handler
  const work = subs.flatMap(
    (sub): (SqlStatement | NonNullable<OutboxSubscriber['handleInTransaction']>)[] => {
      if (!sub.handleInTransaction) return [];
      const statement = sub.statementFor?.(msg);
      if (statement === null) return [];
      return [statement ?? sub.handleInTransaction];
    },
  );
  const [only] = work;
  if (only === undefined) return false;
  if (work.length === 1 && typeof only !== 'function') {
    await deliverWithStatement(ctx, row, only);
    return true;
  }
  await withTransaction(ctx.pool, async (client) => {
    for (const w of work) {
      if (typeof w === 'function') await w(client, msg);
      else await client.query(w);
    }
    await client.query({
      name: `outbox_mark_${ctx.schema}`,
      text: `UPDATE ${ctx.quoted}.outbox SET delivered_at = now() WHERE position = $1 AND delivered_at IS NULL`,
      values: [row.position],
    });
  });
  return true;
}

/**
 * A subscriber's statement and the delivered mark as one statement (atomic without BEGIN/COMMIT): the mark
 * is a data-modifying WITH, which runs to completion whether or not its rows are read; the statement's rows
 * are selected, so it runs too. Its parameters keep their numbers; the position is the one after them.
 */
async function deliverWithStatement(ctx: RelayContext, row: OutboxRow, st: SqlStatement): Promise<void> {
  const n = st.values.length + 1;
  await ctx.pool.query({
    ...(st.name ? { name: `outbox_deliver_${ctx.schema}_${st.name}` } : {}),
    text: `WITH delivered AS (
        UPDATE ${ctx.quoted}.outbox SET delivered_at = now() WHERE position = $${n} AND delivered_at IS NULL RETURNING 1)
      SELECT (SELECT count(*) FROM delivered) AS delivered, sub.* FROM (${st.text}) AS sub`,
    values: [...st.values, row.position],
  });
}

/** the aggregate's head failed: attempts + 1, next attempt after the backoff, the error kept */
async function recordFailure(ctx: RelayContext, row: OutboxRow, error: string): Promise<void> {
  const delay = backoffDelayMs(row.attempts + 1, ctx.backoffMs, ctx.maxBackoffMs);
  await ctx.pool.query(
    `UPDATE ${ctx.quoted}.outbox SET attempts = attempts + 1, last_error = $2,
       next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
     WHERE position = $1`,
    [row.position, error.slice(0, 2000), delay],
  );
  ctx.stats.failedAttempts += 1;
  ctx.stats.lastError = error;
  ctx.log.warn(
    { topic: row.topic, aggregateId: row.aggregate_id, attempts: row.attempts + 1, err: error },
    'outbox relay: delivery failed, will retry',
  );
}
