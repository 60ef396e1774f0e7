/**
 * One participant of an atomic commit over Postgres prepared transactions: run the service's normal command
 * (the same event-store append with outbox as in the saga) in a transaction on a dedicated connection and end
 * it with PREPARE TRANSACTION '<gid>' (a yes vote) or ROLLBACK (a no vote: a business refusal such as no
 * stock or no funds); later COMMIT PREPARED or ROLLBACK PREPARED by the gid, from any connection.
 *
 * Until it is finished a prepared transaction holds its row locks (another order appending to the same
 * stream waits on the unique (stream_id, version) index) and its transaction id holds back every snapshot's
 * xmin, so the gap-safe readAll, and with it the outbox relay and the projections, stop at it.
 */
import type { Pool, PoolClient } from 'pg';
import { isDomainError } from '../domain/errors';
import { GID_PREFIX, parseGid, type Decision, type GidParts, type Participant } from '../domain/coordination';
import { createTransactionStore } from '../eventstore/transaction-store';
import { outboxChannel } from '../eventstore/sql';
import type { EventStore } from '../eventstore/types';

export type Vote = { vote: 'yes' } | { vote: 'no'; code: string; message: string };

/** what `finish` found: it ended the prepared transaction, or there was none under that gid */
export type Finished = 'finished' | 'absent';

export interface PreparedTransaction extends GidParts {
  gid: string;
  preparedAt: Date;
}

const pgCode = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;
/** PREPARE with a gid already in use: an earlier try of this prepare got there */
const DUPLICATE_OBJECT = '42710';
/** COMMIT/ROLLBACK PREPARED of a gid that is not prepared (finished before, or never prepared) */
const UNDEFINED_OBJECT = '42704';
/** lock_timeout expired: a lock another transaction holds (another order's prepared one) was not granted */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * How long a prepare waits for a lock, and what it does when that runs out. Two orders' prepares run in
 * parallel on every participant, so each can hold (prepared) a lock the other waits for in another
 * participant: a deadlock that no Postgres sees, since its cycle closes through the two coordinators. A
 * bounded wait breaks it; `vote-no` ends the order's transaction (it aborts and releases its other locks),
 * `retry` rethrows (a reverse transaction must happen, however long it takes). Either way the session ends
 * and its connection returns to the pool before the activity's attempt times out.
 */
export interface LockWait {
  lockTimeoutMs: number;
  onTimeout: 'vote-no' | 'retry';
}

export async function isPrepared(db: Pool | PoolClient, gid: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1', [gid]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Runs `work` on a store bound to a fresh transaction of the participant's schema and votes. A business
 * refusal rolls back and votes no; any other error rolls back and is rethrown (the caller retries). A retry
 * after a prepare that succeeded votes yes again without running anything.
 */
export async function prepare(
  pool: Pool,
  gid: string,
  schema: Participant,
  work: (store: EventStore) => Promise<unknown>,
  wait?: LockWait,
): Promise<Vote> {
  if (await isPrepared(pool, gid)) return { vote: 'yes' };
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    if (wait) await client.query(`SET LOCAL lock_timeout = ${Math.round(wait.lockTimeoutMs)}`);
    try {
      await work(createTransactionStore(client, schema));
    } catch (err) {
      await client.query('ROLLBACK');
      if (isDomainError(err)) return { vote: 'no', code: err.code, message: err.message };
      if (wait?.onTimeout === 'vote-no' && pgCode(err) === LOCK_NOT_AVAILABLE) {
        const message = `no lock within ${wait.lockTimeoutMs} ms (another transaction holds it)`;
        return { vote: 'no', code: 'LockTimeout', message };
      }
      throw err;
    }
    try {
      await client.query(`PREPARE TRANSACTION ${client.escapeLiteral(gid)}`);
    } catch (err) {
      // the transaction is gone either way (PREPARE failing rolls it back)
      if (pgCode(err) === DUPLICATE_OBJECT) return { vote: 'yes' };
      throw err;
    }
    return { vote: 'yes' };
  } catch (err) {
    // a connection that cannot even roll back is not given back to the pool
    broken = !(await client.query('ROLLBACK').then(
      () => true,
      () => false,
    ));
    throw err;
  } finally {
    client.release(broken ? true : undefined);
  }
}

/**
 * COMMIT PREPARED or ROLLBACK PREPARED. 'absent' when the gid is not prepared: finished before (a retry) or
 * never prepared; only the caller's record of the decision can tell which outcome that was.
 */
export async function finish(pool: Pool, gid: string, decision: Decision): Promise<Finished> {
  const parsed = parseGid(gid);
  if (!parsed) throw new Error(`not a gid of this project: ${gid}`);
  const verb = decision === 'commit' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
  const client = await pool.connect();
  try {
    await client.query(`${verb} ${client.escapeLiteral(gid)}`);
  } catch (err) {
    if (pgCode(err) === UNDEFINED_OBJECT) return 'absent';
    throw err;
  } finally {
    client.release();
  }
  // the committed transaction wrote outbox rows without waking the relay (it could not NOTIFY): wake it now
  if (decision === 'commit')
    await pool.query('SELECT pg_notify($1, $2)', [outboxChannel(parsed.participant), '']);
  return 'finished';
}

/** every prepared transaction of this project in this database, oldest first */
export async function listPrepared(db: Pool | PoolClient): Promise<PreparedTransaction[]> {
  const r = await db.query<{ gid: string; prepared: Date }>(
    `SELECT gid, prepared FROM pg_prepared_xacts
     WHERE database = current_database() AND starts_with(gid, $1) ORDER BY prepared`,
    [GID_PREFIX],
  );
  return r.rows.flatMap((row) => {
    const p = parseGid(row.gid);
    return p ? [{ gid: row.gid, ...p, preparedAt: row.prepared }] : [];
  });
}
