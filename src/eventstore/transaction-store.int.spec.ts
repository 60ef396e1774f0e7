/**
 * The store bound to a caller's transaction (what a 2PC/3PC participant prepares in), on a real Postgres:
 * an append that loses a race on the stream's unique index reports a conflict to retry, and the transaction
 * goes on, instead of failing on the statement that Postgres has aborted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { eventStoreFixture } from '../../test/support/event-store';
import { eventually } from '../../test/support/eventually';
import { added } from '../../test/support/tally';
import { createTransactionStore } from './transaction-store';
import { ConcurrencyError, type EventStore } from './types';

describe('transaction store (real Postgres, two transactions racing on one stream)', () => {
  let pool: Pool;
  let store: EventStore;
  eventStoreFixture({}, (f) => ({ pool, store } = f));

  it('the loser of a race on the unique index gets ConcurrencyError, and its transaction can still append and commit', async () => {
    const stream = `tally-${randomUUID()}`;
    await store.append(stream, 'no_stream', [added(1)]);
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await createTransactionStore(a, 'orders').append(stream, 1, [added(2)]);
      const inB = createTransactionStore(b, 'orders');
      const lost = inB.append(stream, 1, [added(3)]).then(
        () => 'appended',
        (err: unknown) => err,
      );
      // B waits on A's uncommitted row in the unique index (a positive marker, not a sleep)
      const bPid = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await eventually(async () => {
        const r = await pool.query(`SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted`, [bPid]);
        assert.equal(r.rowCount, 1, 'B is waiting on a lock');
      });
      await a.query('COMMIT');
      const outcome = await lost;
      assert.ok(outcome instanceof ConcurrencyError, `B lost the race with ${String(outcome)}`);
      // the savepoint was rolled back: B's transaction is usable and appends after A's event
      const next = await inB.append(stream, 2, [added(3)]);
      assert.equal(next.nextVersion, 3);
      await b.query('COMMIT');
    } finally {
      a.release();
      b.release();
    }
    const versions = (await store.readStream(stream)).map((e) => e.version);
    assert.deepEqual(versions, [1, 2, 3]);
  });
});
