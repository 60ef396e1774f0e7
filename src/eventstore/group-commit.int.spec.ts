/**
 * Group commit on real Postgres: concurrent one-event appends share statements and commits, and every caller
 * still gets the outcome it would have had alone (appended, idempotent no-op, ConcurrencyError,
 * EventIdConflictError), with outbox rows for the published ones and no version gaps.
 */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { createEventStore } from './store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { durabilityOf } from '../../test/support/stack';
import { DURABILITY_SETTINGS } from '../platform/postgres';
import { isEnvelope } from './envelope';
import { ConcurrencyError, EventIdConflictError, type EventStore } from './types';

const added = (amount: number) => ({ type: 'Added', data: { amount } });

describe('group commit (real Postgres, durable)', () => {
  let pool: Pool;
  let store: EventStore;

  eventStoreFixture(
    {
      durability: 'durable',
      poolMax: 20,
      store: { schema: 'inventory', groupCommit: { maxInFlight: 1, maxBatch: 50 }, snapshotEvery: 100 },
    },
    (f) => ({ pool, store } = f),
  );

  const transactionsOf = async (streams: string[]) =>
    (
      await pool.query<{ n: number }>(
        'SELECT count(DISTINCT transaction_id)::int AS n FROM inventory.events WHERE stream_id = ANY($1)',
        [streams],
      )
    ).rows[0]!.n;

  it('runs on a durable Postgres (fsync, synchronous_commit and full_page_writes on): commit timing is real', async () => {
    assert.deepEqual(await durabilityOf(pool), { ...DURABILITY_SETTINGS.durable });
  });

  it('200 concurrent appends to distinct streams: all written, versions right, far fewer commits', async () => {
    const streams = Array.from({ length: 200 }, () => `gc-${randomUUID()}`);
    const results = await Promise.all(
      streams.map((s, i) => store.append(s, 'no_stream', [added(i)], { publish: i % 2 === 0 })),
    );
    assert.ok(results.every((r) => r.appended && r.nextVersion === 1 && r.events[0]!.version === 1));
    results.forEach((r, i) => assert.equal(r.events[0]!.streamId, streams[i]));
    const commits = await transactionsOf(streams);
    assert.ok(commits < 50, `200 appends took ${commits} commits`);
    // the published half has its envelopes in the outbox, the rest has none
    const outbox = await pool.query<{ aggregate_id: string; payload: unknown; message_id: string }>(
      'SELECT aggregate_id, payload, message_id FROM inventory.outbox WHERE aggregate_id = ANY($1)',
      [streams],
    );
    assert.equal(outbox.rowCount, 100);
    for (const row of outbox.rows) {
      const i = streams.indexOf(row.aggregate_id);
      assert.equal(i % 2, 0);
      assert.ok(isEnvelope(row.payload));
      assert.equal(row.message_id, results[i]!.events[0]!.id);
    }
    // a second round on the same streams continues at version 2
    const again = await Promise.all(streams.map((s) => store.append(s, 1, [added(0)])));
    assert.ok(again.every((r) => r.nextVersion === 2));
  });

  it('each append in a shared batch gets its own outcome', async () => {
    const base = Array.from({ length: 6 }, () => `gc-${randomUUID()}`);
    const stored = await Promise.all(base.map((s) => store.append(s, 'no_stream', [added(1)])));
    const other = `gc-${randomUUID()}`;
    const fresh = Array.from({ length: 20 }, () => `gc-${randomUUID()}`);
    // hold the single slot with a first append, so that everything after it queues into one batch
    const outcomes = await Promise.allSettled([
      store.append(`gc-${randomUUID()}`, 'no_stream', [added(0)]),
      store.append(base[0]!, 5, [added(2)]), // wrong expected version
      store.append(base[1]!, 'no_stream', [{ ...added(1), id: stored[1]!.events[0]!.id }]), // retry of a stored event
      store.append(base[2]!, 0, [{ ...added(1), id: stored[2]!.events[0]!.id }]), // retry, other expected version
      store.append(other, 'no_stream', [{ ...added(9), id: stored[3]!.events[0]!.id }]), // id of another stream
      store.append(base[4]!, 1, [added(2)]), // fine
      store.append(base[5]!, 1, [added(2)]), // two appends to one stream at one version:
      store.append(base[5]!, 1, [added(3)]), //   one wins, the other loses
      ...fresh.map((s) => store.append(s, 'no_stream', [added(4)])),
    ]);
    const [, wrong, retry, retry2, conflict, fine, race1, race2, ...rest] = outcomes;
    assert.ok(wrong.status === 'rejected' && wrong.reason instanceof ConcurrencyError);
    assert.equal(wrong.reason.actual, 1);
    assert.ok(retry.status === 'fulfilled' && !retry.value.appended && retry.value.nextVersion === 1);
    assert.equal(retry.value.events[0]!.id, stored[1]!.events[0]!.id);
    assert.ok(retry2.status === 'fulfilled' && !retry2.value.appended);
    assert.ok(conflict.status === 'rejected' && conflict.reason instanceof EventIdConflictError);
    assert.ok(fine.status === 'fulfilled' && fine.value.appended && fine.value.nextVersion === 2);
    const race = [race1, race2];
    assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(race.some((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyError));
    assert.ok(rest.every((r) => r.status === 'fulfilled' && r.value.appended));
    // (a stored id or a lost race fails the batch statement as a whole, so here everything ran alone)
    // nothing else was written: no gaps, nothing in the other stream
    const gaps = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT stream_id FROM inventory.events WHERE stream_id = ANY($1)
         GROUP BY stream_id HAVING count(*) <> max(version)) g`,
      [[...base, other, ...fresh]],
    );
    assert.equal(gaps.rows[0]!.n, 0);
    assert.equal(await store.streamVersion(other), 0);
    assert.equal(await store.streamVersion(base[0]!), 1);
    assert.equal(await store.streamVersion(base[5]!), 2);
  });

  it('a batch writes the rows whose expected version matches in one commit; the others run alone', async () => {
    const behind = `gc-${randomUUID()}`;
    await store.append(behind, 'no_stream', [added(1)]);
    await store.append(behind, 1, [added(1)]);
    const fresh = Array.from({ length: 20 }, () => `gc-${randomUUID()}`);
    const outcomes = await Promise.allSettled([
      store.append(`gc-${randomUUID()}`, 'no_stream', [added(0)]), // holds the single slot
      store.append(behind, 1, [added(2)]), // stale expected version: not written by the batch
      ...fresh.map((s) => store.append(s, 'no_stream', [added(4)])),
    ]);
    const [first, stale, ...rest] = outcomes;
    assert.equal(first.status, 'fulfilled');
    assert.ok(stale.status === 'rejected' && stale.reason instanceof ConcurrencyError);
    assert.equal(stale.reason.actual, 2);
    assert.ok(rest.every((r) => r.status === 'fulfilled' && r.value.appended && r.value.nextVersion === 1));
    assert.ok((await transactionsOf(fresh)) < fresh.length, 'the fresh appends shared commits');
    assert.equal(await store.streamVersion(behind), 2);
  });

  it('a batch that fails as a whole runs its appends alone: the error reaches only its cause', async () => {
    const clash = randomUUID();
    // an outbox message already holds the id the published event will get: only that append can fail
    await pool.query(
      `INSERT INTO inventory.outbox (message_id, topic, aggregate_id, payload) VALUES ($1, 't', 'x', '{}')`,
      [clash],
    );
    const streams = Array.from({ length: 10 }, () => `gc-${randomUUID()}`);
    const outcomes = await Promise.allSettled([
      store.append(`gc-${randomUUID()}`, 'no_stream', [added(0)]),
      ...streams.map((s, i) =>
        store.append(s, 'no_stream', [{ ...added(i), ...(i === 3 ? { id: clash } : {}) }], { publish: true }),
      ),
    ]);
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i - 1] : []));
    assert.deepEqual(failed, [3]);
    assert.equal(await store.streamVersion(streams[3]!), 0);
    for (const [i, s] of streams.entries()) if (i !== 3) assert.equal(await store.streamVersion(s), 1);
  });

  it('with groupCommit: false every append is its own commit', async () => {
    const solo = createEventStore({ pool, schema: 'inventory', groupCommit: false });
    const streams = Array.from({ length: 30 }, () => `gc-${randomUUID()}`);
    await Promise.all(streams.map((s) => solo.append(s, 'no_stream', [added(1)])));
    assert.equal(await transactionsOf(streams), 30);
  });
});
