/**
 * Reading all streams on a durable Postgres: gap-safe while transactions commit out of order, and exactly
 * once under concurrent writers whose transaction ids cross a power of ten.
 */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { DURABILITY_SETTINGS } from '../platform/postgres';
import { durabilityOf } from '../../test/support/stack';
import { START_POSITION } from './read-all';
import { added, readAllFrom } from '../../test/support/tally';
import type { EventStore, StoredEvent } from './types';

describe('read all (real Postgres, durable)', () => {
  let pool: Pool;
  let store: EventStore;

  eventStoreFixture({ durability: 'durable' }, (f) => ({ pool, store } = f));

  it('runs on a durable Postgres (fsync, synchronous_commit and full_page_writes on): commit timing is real', async () => {
    assert.deepEqual(await durabilityOf(pool), { ...DURABILITY_SETTINGS.durable });
  });

  it('a reader of all streams misses nothing when a slow transaction commits after later ones', async () => {
    const start = await readAllFrom(store, START_POSITION);
    const slowStream = `slow-${randomUUID()}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const slow = await store.append(slowStream, 'no_stream', [added(1, 'slow')], { client });
      // later transactions commit while the slow one is open; they get higher global positions
      const fast = [];
      for (let i = 0; i < 5; i++)
        fast.push(await store.append(`fast-${randomUUID()}`, 'no_stream', [added(i, 'fast')]));
      assert.ok(fast.every((f) => f.events[0]!.globalPosition > slow.events[0]!.globalPosition));
      const during = await readAllFrom(store, start.next);
      // the reader does not pass the open transaction: it sees none of the later commits yet
      assert.equal(during.events.length, 0);
      await client.query('COMMIT');
      const afterCommit = await readAllFrom(store, during.next);
      const ids = afterCommit.events.map((e) => e.id);
      assert.ok(ids.includes(slow.events[0]!.id), 'the slow transaction is delivered');
      for (const f of fast) assert.ok(ids.includes(f.events[0]!.id));
      assert.equal(afterCommit.events.length, 6);
    } finally {
      client.release();
    }
  });

  it('concurrent writers: a reader of all streams sees every event exactly once', async () => {
    // burn transaction ids to just below a power of ten, so the writers' xids cross it: a reader that
    // compared xids as text ('1000' < '999') would skip events
    const current = Number(
      (await pool.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x,
    );
    const burn = 10 ** Math.ceil(Math.log10(current + 2)) - current - 150;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < burn; i += 8) await pool.query('SELECT pg_current_xact_id()');
      }),
    );
    const start = await readAllFrom(store, START_POSITION);
    const seen: StoredEvent[] = [];
    let next = start.next;
    let writing = true;
    const reader = (async () => {
      for (;;) {
        const r = await store.readAll({ after: next, limit: 50 });
        seen.push(...r.events);
        next = r.next;
        if (!writing && r.events.length === 0) return;
      }
    })();
    const written: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        const stream = `w${w}-${randomUUID()}`;
        // 400 transactions: the xids cross a power of ten (a text-ordered xid would skip events)
        for (let i = 0; i < 40; i++) {
          const r = await store.append(stream, i, [added(i)]);
          written.push(r.events[0]!.id);
        }
      }),
    );
    writing = false;
    await reader;
    const seenIds = seen.map((e) => e.id);
    assert.equal(new Set(seenIds).size, seenIds.length, 'no duplicates');
    assert.deepEqual(new Set(seenIds), new Set(written));
  });
});
