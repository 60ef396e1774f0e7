/**
 * Outbox relay: delivers the rows of `<schema>.outbox` to in-process subscribers, at least once, in
 * per-aggregate order.
 *
 * - Election: each relay holds a dedicated connection and tries `pg_try_advisory_lock` on a key per schema.
 *   The holder is the one active relay; the others retry every `standbyRetryMs` and take over when the
 *   holder's connection ends (Postgres releases a session lock when its connection dies).
 * - Wake-up: the leader LISTENs on `<schema>_outbox` (appends NOTIFY it at or after their commit; a store on
 *   the same pool in the same process wakes it directly instead, see local-wake.ts) and also
 *   polls every `pollIntervalMs`, and wakes for the earliest retry that falls due (read by the batch query
 *   itself). After a batch that held every due message (not full, no failure) it sleeps at once: a message
 *   committed since then NOTIFYs after its commit, and a NOTIFY that arrives while a batch runs is kept for
 *   the next sleep; so an idle relay costs no query per wake-up beyond the batch it fetched.
 * - Order and isolation: a batch takes the oldest undelivered message (the head) of each aggregate whose head
 *   is due, then that aggregate's following messages. An aggregate's messages are delivered one after the
 *   other; the first failure stops that aggregate (its head gets attempts+1, next_attempt_at with
 *   exponential backoff, last_error) while other aggregates carry on.
 * - A message is marked delivered only after every subscriber accepted it. `handle` subscribers run first
 *   (at least once: a crash before the mark delivers the message again, so they de-duplicate, e.g. with
 *   processOnce below); `handleInTransaction` subscribers then run in one transaction with the mark (a
 *   projection's read-model writes commit with it; its per-stream checkpoint still guards redeliveries).
 * Ordering holds for messages of one aggregate written in commit order, which appends guarantee for
 * messages whose aggregate id is the stream id (an append to a stream at version v runs only after the append
 * that wrote v committed: the unique (stream_id, version) index makes the later one wait or lose).
 */
import pg, { type Pool, type PoolClient } from 'pg';
import { withTransaction } from '../db/pool';
import { registerLocalRelay } from './local-wake';
import { outboxChannel, quoteSchema } from './store';
import type { EventMetadata } from './types';

export interface OutboxDelivery {
  id: string;
  topic: string;
  aggregateId: string;
  payload: unknown;
  metadata: EventMetadata;
  position: number;
  /** failed deliveries before this one */
  attempts: number;
  createdAt: Date;
}

/**
 * A subscriber has one of two handlers:
 * - `handle`: at least once (e.g. a call to another system); runs before the message is marked delivered, so
 *   a crash in between delivers it again;
 * - `handleInTransaction`: for writes to this database (read models): runs in one transaction with the
 *   relay's "delivered" mark of that message, so its writes and the mark commit together (no redelivery of a
 *   message whose writes committed, one commit per message). Such a subscriber may also offer
 *   `statementFor`: the same writes as one SQL statement, which the relay then runs together with the mark
 *   as one statement (one round trip, no BEGIN/COMMIT) when it is the message's only transactional work.
 */
export type OutboxSubscriber = {
  /** stable name: de-duplication records are keyed by it */
  name: string;
  /** default: every topic */
  accepts?: (topic: string) => boolean;
} & (
  | {
      handle: (message: OutboxDelivery) => Promise<void>;
      handleInTransaction?: undefined;
      statementFor?: undefined;
    }
  | {
      handleInTransaction: (client: PoolClient, message: OutboxDelivery) => Promise<void>;
      /**
       * the effect of handleInTransaction as one statement: a query that returns rows (e.g. `SELECT f($1)`,
       * its result is ignored); null when the message needs no writes; undefined to use handleInTransaction
       */
      statementFor?: (message: OutboxDelivery) => SqlStatement | null | undefined;
      handle?: undefined;
    }
);

/** A parameterised statement; `name` makes it a prepared statement (its text must then never change). */
export interface SqlStatement {
  name?: string;
  text: string;
  values: unknown[];
}

export interface RelayLog {
  info: (obj: object, msg?: string) => void;
  warn: (obj: object, msg?: string) => void;
  error: (obj: object, msg?: string) => void;
}

export interface OutboxRelayOptions {
  pool: Pool;
  schema: string;
  subscribers: OutboxSubscriber[];
  /** polling fallback when no NOTIFY arrives; default 1000 */
  pollIntervalMs?: number;
  /** aggregates per batch; default 100 */
  batchSize?: number;
  /** messages taken per aggregate in one batch; default 50 */
  perAggregate?: number;
  /** aggregates delivered in parallel; default 4 */
  concurrency?: number;
  /** first retry delay, doubled per attempt up to maxBackoffMs; defaults 200 and 60000 */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** how often a standby retries the election; default pollIntervalMs */
  standbyRetryMs?: number;
  /** delivered rows older than this are deleted by the active relay; default 7 days; 0 keeps them */
  retentionMs?: number;
  log?: RelayLog;
}

export interface RelayStats {
  leader: boolean;
  /** election attempts that ended, won or lost (a standby tries again every standbyRetryMs) */
  elections: number;
  delivered: number;
  failedAttempts: number;
  batches: number;
  lastError?: string;
  lastDeliveredAt?: Date;
}

export interface OutboxRelay {
  /** graceful: finishes the current batch, releases leadership */
  stop(): Promise<void>;
  /** simulates a crash: no further writes, the dedicated connection is destroyed at once */
  abort(): void;
  stats(): RelayStats;
}

const LOCK_CLASS = 7_294_100;
const silent: RelayLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

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

export function startOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const s = quoteSchema(opts.schema);
  const log = opts.log ?? silent;
  const pollMs = opts.pollIntervalMs ?? 1000;
  const standbyMs = opts.standbyRetryMs ?? pollMs;
  const batchSize = opts.batchSize ?? 100;
  const perAggregate = opts.perAggregate ?? 50;
  const concurrency = opts.concurrency ?? 4;
  const baseMs = opts.backoffMs ?? 200;
  const maxMs = opts.maxBackoffMs ?? 60_000;
  const retentionMs = opts.retentionMs ?? 7 * 24 * 3600 * 1000;
  const stats: RelayStats = { leader: false, elections: 0, delivered: 0, failedAttempts: 0, batches: 0 };
  let lastCleanup = 0;

  let stopping = false;
  let aborted = false;
  let leaderClient: pg.Client | undefined;
  let wake: (() => void) | undefined;
  // a wake-up that arrives while a batch runs is remembered, so the next sleep returns at once
  let woken = false;
  const wakeUp = () => {
    woken = true;
    wake?.();
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopping || aborted) {
        woken = false;
        resolve();
        return;
      }
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        woken = false;
        resolve();
      }
      wake = done;
    });

  async function elect(): Promise<boolean> {
    const client = new pg.Client({
      ...opts.pool.options,
      application_name: `outbox-relay-${opts.schema}`,
      keepAlive: true,
    });
    // only the leader's own connection ending matters (a standby ends its client when the lock is taken)
    client.on('error', (err) => {
      if (client !== leaderClient) return;
      log.warn({ err: err.message, schema: opts.schema }, 'outbox relay: leader connection lost');
      stats.leader = false;
      wakeUp();
    });
    client.on('end', () => {
      if (client !== leaderClient) return;
      stats.leader = false;
      wakeUp();
    });
    try {
      await client.connect();
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        LOCK_CLASS,
        opts.schema,
      ]);
      if (!r.rows[0]?.ok) {
        await client.end();
        return false;
      }
      client.on('notification', wakeUp);
      await client.query(`LISTEN "${outboxChannel(opts.schema)}"`);
      leaderClient = client;
      stats.leader = true;
      log.info({ schema: opts.schema }, 'outbox relay: active');
      return true;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'outbox relay: election failed');
      await client.end().catch(() => undefined);
      return false;
    }
  }

  /**
   * The due heads' aggregates (up to batchSize) with up to perAggregate messages each, and, in the same round
   * trip, how long until the earliest head that is not due yet (a retry waiting out its backoff).
   */
  async function fetchBatch(): Promise<{ rows: OutboxRow[]; nextDueMs: number | undefined }> {
    const r = await opts.pool.query<OutboxRow & { next_due_ms: number | null }>({
      name: `outbox_batch_${opts.schema}`,
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
      values: [batchSize, perAggregate],
    });
    const ms = r.rows[0]?.next_due_ms;
    return {
      rows: r.rows.filter((x) => x.message_id !== null),
      nextDueMs: ms === null || ms === undefined ? undefined : Math.max(0, ms),
    };
  }

  /**
   * A subscriber's statement and the delivered mark as one statement (atomic without BEGIN/COMMIT): the mark
   * is a data-modifying WITH, which runs to completion whether or not its rows are read; the statement's rows
   * are selected, so it runs too. Its parameters keep their numbers; the position is the one after them.
   */
  async function deliverWithStatement(row: OutboxRow, st: SqlStatement): Promise<void> {
    const n = st.values.length + 1;
    await opts.pool.query({
      ...(st.name ? { name: `outbox_deliver_${opts.schema}_${st.name}` } : {}),
      text: `WITH delivered AS (
          UPDATE ${s}.outbox SET delivered_at = now() WHERE position = $${n} AND delivered_at IS NULL RETURNING 1)
        SELECT (SELECT count(*) FROM delivered) AS delivered, sub.* FROM (${st.text}) AS sub`,
      values: [...st.values, row.position],
    });
  }

  /** every message delivered (or the batch stopped); false when a delivery failed */
  async function deliverAggregate(rows: OutboxRow[]): Promise<boolean> {
    const done: number[] = [];
    let failure: { row: OutboxRow; error: string } | undefined;
    for (const row of rows) {
      if (aborted || stopping) break;
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
      try {
        const subs = opts.subscribers.filter((sub) => !sub.accepts || sub.accepts(msg.topic));
        for (const sub of subs) if (sub.handle) await sub.handle(msg);
        // transactional work: each subscriber's statement (null: nothing to write), else its handler
        const work = subs.flatMap((sub) => {
          if (!sub.handleInTransaction) return [];
          const statement = sub.statementFor?.(msg);
          if (statement === null) return [];
          return [statement ?? sub.handleInTransaction];
        });
        const [only] = work;
        if (only === undefined) done.push(row.position);
        else if (work.length === 1 && typeof only !== 'function') await deliverWithStatement(row, only);
        else {
          await withTransaction(opts.pool, async (client) => {
            for (const w of work) {
              if (typeof w === 'function') await w(client, msg);
              else await client.query(w);
            }
            await client.query({
              name: `outbox_mark_${opts.schema}`,
              text: `UPDATE ${s}.outbox SET delivered_at = now() WHERE position = $1 AND delivered_at IS NULL`,
              values: [row.position],
            });
          });
        }
        if (only !== undefined) {
          stats.delivered += 1;
          stats.lastDeliveredAt = new Date();
        }
      } catch (err) {
        failure = { row, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
        break;
      }
    }
    if (aborted) return true; // crashed: nothing more is marked
    if (done.length > 0) {
      await opts.pool.query(
        `UPDATE ${s}.outbox SET delivered_at = now() WHERE position = ANY($1::bigint[]) AND delivered_at IS NULL`,
        [done],
      );
      stats.delivered += done.length;
      stats.lastDeliveredAt = new Date();
    }
    if (!failure) return true;
    const delay = backoffDelayMs(failure.row.attempts + 1, baseMs, maxMs);
    await opts.pool.query(
      `UPDATE ${s}.outbox SET attempts = attempts + 1, last_error = $2,
         next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
       WHERE position = $1`,
      [failure.row.position, failure.error.slice(0, 2000), delay],
    );
    stats.failedAttempts += 1;
    stats.lastError = failure.error;
    log.warn(
      {
        topic: failure.row.topic,
        aggregateId: failure.row.aggregate_id,
        attempts: failure.row.attempts + 1,
        err: failure.error,
      },
      'outbox relay: delivery failed, will retry',
    );
    return false;
  }

  /**
   * One batch. `more`: fetch again at once (the batch was full, or a delivery failed and the next due time
   * changed); otherwise every message due at the fetch was handled, and the relay sleeps until a NOTIFY, the
   * poll interval or the earliest retry (`nextDueMs`, read by the same query).
   */
  async function processBatch(): Promise<{ fetched: number; more: boolean; nextDueMs: number | undefined }> {
    const { rows, nextDueMs } = await fetchBatch();
    if (rows.length === 0) return { fetched: 0, more: false, nextDueMs };
    stats.batches += 1;
    const groups = new Map<string, OutboxRow[]>();
    for (const r of rows) {
      const g = groups.get(r.aggregate_id);
      if (g) g.push(r);
      else groups.set(r.aggregate_id, [r]);
    }
    const full = groups.size >= batchSize || [...groups.values()].some((g) => g.length >= perAggregate);
    const queue = [...groups.values()];
    let failed = false;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let g = queue.shift(); g; g = queue.shift()) if (!(await deliverAggregate(g))) failed = true;
      }),
    );
    return { fetched: rows.length, more: full || failed, nextDueMs };
  }

  // appends of a store on this pool and schema wake this relay directly while it leads (local-wake.ts)
  const unregister = registerLocalRelay(opts.pool, opts.schema, {
    isLeader: () => stats.leader && !stopping && !aborted,
    wake: wakeUp,
  });

  const loop = (async () => {
    while (!stopping && !aborted) {
      try {
        if (!stats.leader) {
          if (leaderClient) {
            const old = leaderClient;
            leaderClient = undefined;
            await old.end().catch(() => undefined);
          }
          const won = await elect();
          stats.elections += 1;
          if (!won) {
            await sleep(standbyMs);
            continue;
          }
        }
        const batch = await processBatch();
        if (batch.more || stopping || aborted) continue;
        if (
          batch.fetched === 0 &&
          retentionMs > 0 &&
          Date.now() - lastCleanup > Math.min(retentionMs, 600_000)
        ) {
          lastCleanup = Date.now();
          await opts.pool.query(
            `DELETE FROM ${s}.outbox WHERE position IN (
               SELECT position FROM ${s}.outbox WHERE delivered_at < now() - make_interval(secs => $1::float8 / 1000)
               LIMIT 10000)`,
            [retentionMs],
          );
        }
        const due = batch.nextDueMs;
        await sleep(due === undefined ? pollMs : Math.min(pollMs, due + 5));
      } catch (err) {
        if (aborted) break;
        stats.lastError = (err as Error).message;
        log.error({ err: (err as Error).message, schema: opts.schema }, 'outbox relay: batch failed');
        await sleep(Math.min(pollMs, 1000));
      }
    }
  })();

  return {
    async stop() {
      stopping = true;
      unregister();
      wakeUp();
      await loop;
      stats.leader = false;
      if (leaderClient) await leaderClient.end().catch(() => undefined);
      leaderClient = undefined;
    },
    abort() {
      aborted = true;
      unregister();
      stats.leader = false;
      wakeUp();
      const c = leaderClient;
      leaderClient = undefined;
      c?.connection.stream.destroy();
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * Runs fn once per (subscriber, message id): records the message in `<schema>.processed_messages` in the same
 * transaction as fn's writes. Returns false (and runs nothing) for a message already processed.
 */
export async function processOnce(
  pool: Pool,
  schema: string,
  subscriber: string,
  messageId: string,
  fn: (client: PoolClient) => Promise<void>,
): Promise<boolean> {
  const s = quoteSchema(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const r = await client.query(
      `INSERT INTO ${s}.processed_messages (subscriber, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [subscriber, messageId],
    );
    if (r.rowCount === 0) {
      await client.query('ROLLBACK');
      return false;
    }
    await fn(client);
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
