/**
 * Scheduled messages in Postgres (migrations/0080): schedule one for a due time, cancel it before it is
 * handled, and claim the due ones. A claim is a transaction: the row is locked FOR UPDATE SKIP LOCKED (another
 * poller skips it), handled with the transaction's client, and marked done before the commit. If the handler
 * throws, the transaction rolls back and the row is retried later (attempts, last_error, due_at pushed back);
 * if the process or Postgres dies mid-handling, the lock goes with the connection and the row is due again.
 */
import type { Pool, PoolClient } from 'pg';
import { consumerSchema } from '../bus/sql';

export interface ScheduledMessage<P = unknown> {
  /** the caller's id: scheduling the same id again is a no-op (idempotent) */
  id: string;
  kind: string;
  payload: P;
  dueAt: Date;
  /** handling attempts that failed before this one */
  attempts: number;
}

type Db = Pool | PoolClient;

/** Schedules a message; false when one with this id exists already (scheduled, handled or cancelled). */
export async function scheduleMessage(
  db: Db,
  schema: string,
  msg: { id: string; kind: string; payload: unknown; dueAt: Date },
): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO ${consumerSchema(schema)}.scheduled_messages (id, kind, payload, due_at)
     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
    [msg.id, msg.kind, JSON.stringify(msg.payload), msg.dueAt],
  );
  return r.rowCount === 1;
}

/**
 * Cancels a message that has not been handled: true when this call or an earlier one cancelled it, false when
 * it was handled already or never scheduled. Waits for a poller handling it right now, then answers.
 */
export async function cancelScheduled(db: Db, schema: string, id: string): Promise<boolean> {
  const r = await db.query<{ cancelled: boolean }>(
    `UPDATE ${consumerSchema(schema)}.scheduled_messages
        SET cancelled_at = coalesce(cancelled_at, now())
      WHERE id = $1 AND done_at IS NULL
     RETURNING true AS cancelled`,
    [id],
  );
  return r.rowCount === 1;
}

export type ScheduledHandler = (msg: ScheduledMessage, client: PoolClient) => Promise<void>;

export type ClaimOutcome = 'handled' | 'failed' | 'none';

/** Delay before the next attempt of a message whose handler threw (ms); at most 30 s. */
export const retryDelayMs = (attempts: number): number => Math.min(30_000, 200 * 2 ** Math.min(attempts, 8));

/**
 * A transaction on a pooled client that also listens for the client's own connection errors: a server
 * restart between two statements would otherwise surface as an uncaught 'error' event instead of the
 * rejected statement that follows it.
 */
async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    broken ??= err instanceof Error && /Connection terminated/i.test(err.message) ? err : undefined;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

interface Row {
  id: string;
  kind: string;
  payload: unknown;
  due_at: Date;
  attempts: number;
}

/**
 * Claims the next due message (if any) and handles it in one transaction. `handle` gets the claiming
 * transaction's client: what it writes there commits with the done mark, or not at all.
 */
export async function claimNext(
  pool: Pool,
  schema: string,
  handle: ScheduledHandler,
  opts: { kinds?: readonly string[] } = {},
): Promise<ClaimOutcome> {
  const s = consumerSchema(schema);
  let claimed: Row | undefined;
  try {
    return await inTransaction(pool, async (client) => {
      const r = await client.query<Row>(
        `SELECT id, kind, payload, due_at, attempts FROM ${s}.scheduled_messages
          WHERE done_at IS NULL AND cancelled_at IS NULL AND due_at <= now()
            AND ($1::text[] IS NULL OR kind = ANY($1))
          ORDER BY due_at, id
          LIMIT 1
          FOR UPDATE SKIP LOCKED`,
        [opts.kinds ? [...opts.kinds] : null],
      );
      claimed = r.rows[0];
      if (!claimed) return 'none';
      await handle(
        {
          id: claimed.id,
          kind: claimed.kind,
          payload: claimed.payload,
          dueAt: claimed.due_at,
          attempts: claimed.attempts,
        },
        client,
      );
      await client.query(`UPDATE ${s}.scheduled_messages SET done_at = now() WHERE id = $1`, [claimed.id]);
      return 'handled';
    });
  } catch (err) {
    if (!claimed) throw err;
    const attempts = claimed.attempts + 1;
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    // best effort: when Postgres itself is gone the row stays due as it was, which is also safe
    await pool
      .query(
        `UPDATE ${s}.scheduled_messages
            SET attempts = $2, last_error = $3, due_at = now() + make_interval(secs => $4::float8 / 1000)
          WHERE id = $1 AND done_at IS NULL`,
        [claimed.id, attempts, reason, retryDelayMs(attempts)],
      )
      .catch(() => undefined);
    throw err;
  }
}

export interface ScheduledSummary {
  pending: number;
  /** due and not handled */
  overdue: number;
  /** seconds the oldest overdue message has been due */
  oldestOverdueS: number | null;
  failing: number;
}

export async function scheduledSummary(db: Db, schema: string): Promise<ScheduledSummary> {
  const r = await db.query<{ pending: string; overdue: string; age: number | null; failing: string }>(
    `SELECT count(*) AS pending,
            count(*) FILTER (WHERE due_at <= now()) AS overdue,
            extract(epoch FROM now() - min(due_at) FILTER (WHERE due_at <= now()))::float8 AS age,
            count(*) FILTER (WHERE attempts > 0) AS failing
       FROM ${consumerSchema(schema)}.scheduled_messages WHERE done_at IS NULL AND cancelled_at IS NULL`,
  );
  const row = r.rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    overdue: Number(row?.overdue ?? 0),
    oldestOverdueS: row?.age ?? null,
    failing: Number(row?.failing ?? 0),
  };
}
