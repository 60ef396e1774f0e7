import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createPool } from '../db/pool';
import { DURABILITY_SETTINGS, type RunningPostgres } from '../platform/postgres';
import { durabilityOf, startTestPostgres } from '../../test/support/stack';
import { outboxFor } from './envelope';
import { checkEventStoreHealth } from './health';
import { START_POSITION, createEventStore, deterministicEventId, handleCommand, writeOutbox } from './store';
import {
  ConcurrencyError,
  EventIdConflictError,
  type AllPosition,
  type Decider,
  type EventStore,
  type StoredEvent,
} from './types';

// A small aggregate for the store's own tests: a tally of added amounts.
type TallyEvent =
  { type: 'Added'; data: { amount: number; label: string } } | { type: 'Reset'; data: object };
type TallyCommand = { type: 'Add'; amount: number; label: string } | { type: 'Reset' };
interface TallyState {
  total: number;
  count: number;
  labels: string[];
}
const tally: Decider<TallyCommand, TallyEvent, TallyState> = {
  initialState: () => ({ total: 0, count: 0, labels: [] }),
  decide: (cmd) =>
    cmd.type === 'Add'
      ? [{ type: 'Added', data: { amount: cmd.amount, label: cmd.label } }]
      : [{ type: 'Reset', data: {} }],
  evolve: (s, e) =>
    e.type === 'Added'
      ? { total: s.total + e.data.amount, count: s.count + 1, labels: [...s.labels, e.data.label] }
      : { total: 0, count: s.count + 1, labels: s.labels },
};

const added = (amount: number, label = `l${amount}`) => ({ type: 'Added', data: { amount, label } });

async function readAllFrom(
  store: EventStore,
  from: AllPosition,
): Promise<{ events: StoredEvent[]; next: AllPosition }> {
  const events: StoredEvent[] = [];
  let next = from;
  for (;;) {
    const r = await store.readAll({ after: next, limit: 500 });
    events.push(...r.events);
    next = r.next;
    if (r.events.length === 0) return { events, next };
  }
}

describe('event store (real Postgres, durable)', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  let store: EventStore;

  before(async () => {
    pg = await startTestPostgres({ durability: 'durable' });
    pool = createPool(pg.url, { max: 40 });
    store = createEventStore({ pool, schema: 'orders', snapshotEvery: 10 });
  });
  after(async () => {
    await pool?.end();
    await pg?.stop();
  });

  it('runs on a durable Postgres (fsync, synchronous_commit and full_page_writes on): commit timing is real', async () => {
    assert.deepEqual(await durabilityOf(pool), { ...DURABILITY_SETTINGS.durable });
  });

  it('100 concurrent appends at the same expected version: exactly one succeeds, then a correct append works', async () => {
    const stream = `tally-${randomUUID()}`;
    await store.append(stream, 'no_stream', [added(1)]);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => store.append(stream, 1, [added(10 + i)])),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 99);
    for (const f of failed) assert.ok(f.reason instanceof ConcurrencyError, String(f.reason));
    const events = await store.readStream(stream);
    assert.deepEqual(
      events.map((e) => e.version),
      [1, 2],
    );
    const next = await store.append(stream, 2, [added(5)]);
    assert.equal(next.nextVersion, 3);
    assert.deepEqual(
      (await store.readStream(stream)).map((e) => e.version),
      [1, 2, 3],
    );
  });

  it('100 concurrent first appends with no_stream: exactly one creates the stream', async () => {
    const stream = `tally-${randomUUID()}`;
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => store.append(stream, 'no_stream', [added(i)])),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal((await store.readStream(stream)).length, 1);
  });

  it('a wrong expected version writes nothing, not even the outbox rows', async () => {
    const stream = `tally-${randomUUID()}`;
    await store.append(stream, 'no_stream', [added(1)]);
    const msgId = randomUUID();
    await assert.rejects(
      store.append(stream, 5, [added(2)], {
        publish: true,
        outbox: [{ id: msgId, topic: 't', aggregateId: stream, payload: {} }],
      }),
      ConcurrencyError,
    );
    const ob = await pool.query('SELECT 1 FROM orders.outbox WHERE aggregate_id = $1', [stream]);
    assert.equal(ob.rowCount, 0);
    assert.equal(await store.streamVersion(stream), 1);
  });

  it('an append with publish and outbox writes both outbox kinds in the same transaction, in order', async () => {
    const stream = `tally-${randomUUID()}`;
    const msgId = randomUUID();
    const r = await store.append(stream, 'no_stream', [added(1), added(2)], {
      publish: true,
      metadata: { correlationId: 'c1', workflowId: 'wf' },
      outbox: [{ id: msgId, topic: 'orders.Custom', aggregateId: stream, payload: { hello: 1 } }],
    });
    const ob = await pool.query<{ message_id: string; topic: string; payload: Record<string, unknown> }>(
      'SELECT message_id, topic, payload FROM orders.outbox WHERE aggregate_id = $1 ORDER BY position',
      [stream],
    );
    assert.equal(ob.rowCount, 3);
    const mirrored = ob.rows.filter((x) => x.topic === 'orders.Added');
    assert.deepEqual(
      mirrored.map((x) => x.message_id),
      r.events.map((e) => e.id),
    );
    assert.deepEqual(mirrored[1]!.payload.version, 2);
    assert.deepEqual(mirrored[1]!.payload.data, { amount: 2, label: 'l2' });
    assert.deepEqual(mirrored[1]!.payload.metadata, { correlationId: 'c1', workflowId: 'wf' });
    assert.ok(ob.rows.some((x) => x.message_id === msgId));
    const stored = await store.readStream(stream);
    assert.deepEqual(stored[0]!.metadata, { correlationId: 'c1', workflowId: 'wf' });
  });

  it("in a caller's transaction, append and outboxFor/writeOutbox commit or roll back together", async () => {
    const stream = `tally-${randomUUID()}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const r = await store.append(stream, 'no_stream', [added(1)], { client });
      await writeOutbox(client, 'orders', outboxFor(r.events, 'orders'));
      await client.query('ROLLBACK');
      assert.equal(await store.streamVersion(stream), 0);
      assert.equal(
        (await pool.query('SELECT 1 FROM orders.outbox WHERE aggregate_id = $1', [stream])).rowCount,
        0,
      );

      await client.query('BEGIN');
      const r2 = await store.append(stream, 'no_stream', [added(2)], { client });
      await writeOutbox(client, 'orders', outboxFor(r2.events, 'orders'));
      await client.query('COMMIT');
      const ob = await pool.query<{
        message_id: string;
        topic: string;
        payload: { version: number; streamId: string };
      }>('SELECT message_id, topic, payload FROM orders.outbox WHERE aggregate_id = $1', [stream]);
      assert.deepEqual(
        ob.rows.map((x) => [x.message_id, x.topic, x.payload.streamId, x.payload.version]),
        [[r2.events[0]!.id, 'orders.Added', stream, 1]],
      );
    } finally {
      client.release();
    }
  });

  it('an outbox message id used before fails the append, and nothing is written', async () => {
    const stream = `tally-${randomUUID()}`;
    const msg = { id: randomUUID(), topic: 'orders.Custom', aggregateId: stream, payload: {} };
    await store.append(stream, 'no_stream', [added(1)], { outbox: [msg] });
    await assert.rejects(store.append(stream, 1, [added(2)], { outbox: [msg] }), { code: '23505' });
    assert.equal(await store.streamVersion(stream), 1);
    assert.equal((await store.readStream(stream)).length, 1);
  });

  it('appending event ids that are already stored is a no-op that reports success', async () => {
    const stream = `tally-${randomUUID()}`;
    const ids = [randomUUID(), randomUUID()];
    const first = await store.append(stream, 'no_stream', [
      { ...added(1), id: ids[0] },
      { ...added(2), id: ids[1] },
    ]);
    assert.equal(first.appended, true);
    // the retry carries the old expected version: it must not fail
    const retry = await store.append(stream, 'no_stream', [
      { ...added(1), id: ids[0] },
      { ...added(2), id: ids[1] },
    ]);
    assert.equal(retry.appended, false);
    assert.equal(retry.nextVersion, 2);
    assert.deepEqual(
      retry.events.map((e) => e.id),
      ids,
    );
    assert.equal((await store.readStream(stream)).length, 2);
    // some ids stored, some new: not a retry
    await assert.rejects(
      store.append(stream, 2, [{ ...added(1), id: ids[0] }, added(3)]),
      EventIdConflictError,
    );
    // the same ids in another stream
    await assert.rejects(
      store.append(`tally-${randomUUID()}`, 'any', [{ ...added(1), id: ids[0] }]),
      EventIdConflictError,
    );
    assert.equal(await store.streamVersion(stream), 2);
  });

  it("in a caller's transaction, a retried append is a no-op and the transaction stays usable", async () => {
    const stream = `tally-${randomUUID()}`;
    const id = randomUUID();
    await store.append(stream, 'no_stream', [{ ...added(1), id }]);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const retry = await store.append(stream, 1, [{ ...added(1), id }], { client, publish: true });
      assert.equal(retry.appended, false);
      await assert.rejects(store.append(stream, 5, [added(2)], { client }), ConcurrencyError);
      const next = await store.append(stream, 1, [added(3)], { client, publish: true });
      await client.query('COMMIT');
      assert.equal(next.nextVersion, 2);
    } finally {
      client.release();
    }
    assert.deepEqual(
      (await store.readStream(stream)).map((e) => (e.data as { amount: number }).amount),
      [1, 3],
    );
  });

  it('concurrent appends of the same ids: one writes, the others become no-ops', async () => {
    const stream = `tally-${randomUUID()}`;
    const id = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.append(stream, 'any', [{ ...added(1), id }])),
    );
    assert.equal(results.filter((r) => r.appended).length, 1);
    assert.ok(results.every((r) => r.nextVersion === 1));
    assert.equal((await store.readStream(stream)).length, 1);
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

  it('snapshots give the same state as a full replay', async () => {
    const stream = `tally-${randomUUID()}`;
    let version = 0;
    for (let i = 0; i < 37; i++) {
      const r = await store.append(stream, version, [added(i)]);
      version = r.nextVersion;
      if (i % 7 === 0) await store.aggregateStream(stream, tally); // lets snapshots be taken along the way
    }
    const viaSnapshot = await store.aggregateStream(stream, tally);
    assert.ok(viaSnapshot.snapshotVersion > 0, 'a snapshot was used');
    const snaps = await pool.query('SELECT version FROM orders.snapshots WHERE stream_id = $1', [stream]);
    assert.ok((snaps.rowCount ?? 0) >= 2);
    const full = await store.aggregateStream(stream, tally, { toVersion: version });
    assert.equal(full.snapshotVersion, 0);
    assert.deepEqual(viaSnapshot.state, full.state);
    assert.equal(viaSnapshot.version, 37);
    assert.equal(full.state.total, (36 * 37) / 2);
    // a snapshot of a different schema version is ignored
    const v2 = await store.aggregateStream(stream, tally, {
      snapshot: { version: 2, serialize: (x) => x, deserialize: (x) => x as TallyState },
    });
    assert.equal(v2.snapshotVersion, 0);
    assert.deepEqual(v2.state, full.state);
  });

  it('reads a stream as of a time or a version', async () => {
    let clock = new Date('2026-01-01T00:00:00Z');
    const timed = createEventStore({ pool, schema: 'orders', now: () => clock });
    const stream = `tally-${randomUUID()}`;
    await timed.append(stream, 'no_stream', [added(1)]);
    clock = new Date('2026-01-02T00:00:00Z');
    await timed.append(stream, 1, [added(2)]);
    clock = new Date('2026-01-03T00:00:00Z');
    await timed.append(stream, 2, [added(4)]);
    const asOf = await timed.aggregateStream(stream, tally, { asOf: new Date('2026-01-02T12:00:00Z') });
    assert.deepEqual(asOf, {
      state: { total: 3, count: 2, labels: ['l1', 'l2'] },
      version: 2,
      snapshotVersion: 0,
    });
    const before = await timed.readStream(stream, { asOf: new Date('2025-12-31T00:00:00Z') });
    assert.equal(before.length, 0);
    const atV1 = await timed.aggregateStream(stream, tally, { toVersion: 1 });
    assert.equal(atV1.state.total, 1);
    const range = await timed.readStream(stream, { fromVersion: 2, toVersion: 3 });
    assert.deepEqual(
      range.map((e) => e.version),
      [2, 3],
    );
    assert.equal(range[0]!.recordedAt.toISOString(), '2026-01-02T00:00:00.000Z');
  });

  it('upcasts older event schema versions on read', async () => {
    const stream = `tally-${randomUUID()}`;
    // version 1 of Added had { value } instead of { amount, label }
    await store.append(stream, 'no_stream', [{ type: 'Added', schemaVersion: 1, data: { value: 7 } }]);
    const upcasting = createEventStore({
      pool,
      schema: 'orders',
      upcasters: {
        Added: {
          currentVersion: 2,
          upcast: (from, data) => {
            assert.equal(from, 1);
            const d = data as { value: number };
            return { amount: d.value, label: 'upcast' };
          },
        },
      },
    });
    await upcasting.append(stream, 1, [added(3)]);
    const events = await upcasting.readStream(stream);
    assert.deepEqual(
      events.map((e) => [e.schemaVersion, e.data]),
      [
        [2, { amount: 7, label: 'upcast' }],
        [2, { amount: 3, label: 'l3' }],
      ],
    );
    assert.equal((await upcasting.aggregateStream(stream, tally)).state.total, 10);
  });

  it('handleCommand retries on conflicts, and a retried step with deterministic ids is a no-op', async () => {
    const stream = `tally-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        handleCommand(store, stream, tally, { type: 'Add', amount: 1, label: `c${i}` }, { maxRetries: 50 }),
      ),
    );
    assert.ok(results.every((r) => r.appended));
    const final = await store.aggregateStream(stream, tally);
    assert.equal(final.state.total, 10);
    assert.equal(final.version, 10);

    const key = `wf-${randomUUID()}/add`;
    const once = await handleCommand(
      store,
      stream,
      tally,
      { type: 'Add', amount: 5, label: 'k' },
      { idempotencyKey: key },
    );
    assert.equal(once.appended, true);
    assert.equal(once.events[0]!.id, deterministicEventId(key, 0));
    assert.equal(once.state.total, 15);
    // the activity is retried (the tally decider is not idempotent by itself): same ids → no-op
    const again = await handleCommand(
      store,
      stream,
      tally,
      { type: 'Add', amount: 5, label: 'k' },
      { idempotencyKey: key },
    );
    assert.equal(again.appended, false);
    assert.equal(again.version, 11);
    assert.equal(again.state.total, 15);
  });

  it('the health check writes and reads back a health event and reports relay and projection lag', async () => {
    const orderStream = `order-${randomUUID()}`;
    await store.append(orderStream, 'no_stream', [added(1)], { publish: true });
    await pool.query(
      `INSERT INTO orders.outbox (message_id, topic, aggregate_id, payload, created_at, attempts, last_error)
       VALUES ($1, 'orders.Old', 'x', '{}', now() - interval '5 minutes', 2, 'subscriber down')`,
      [randomUUID()],
    );
    const h = await checkEventStoreHealth(pool, 'orders');
    assert.equal(h.ok, true, h.error);
    assert.ok(h.appendMs >= 0 && h.readBackMs >= 0);
    assert.ok(h.relay.undelivered >= 2);
    assert.ok(h.relay.lagSeconds >= 300);
    assert.equal(h.relay.failing, 1);
    assert.equal(h.relay.lastError, 'subscriber down');
    // no relay runs in this file: the order stream is behind in every projection
    for (const name of ['order_summary', 'customer_orders', 'order_analytics']) {
      assert.ok(h.projections[name]!.streamsBehind >= 1, name);
    }
    const again = await checkEventStoreHealth(pool, 'orders');
    const events = await store.readStream('$health');
    assert.ok(events.length >= 2 && events.every((e) => e.type === 'HealthChecked'));
    assert.equal(again.ok, true);
    await pool.query("DELETE FROM orders.outbox WHERE topic = 'orders.Old'");
  });

  it('projection lag is read from the checkpoints against the log: delivered but unapplied events count; beyond the newest events looked at, only the undelivered do', async () => {
    const prefix = `lagprobe-${randomUUID()}-`;
    const lagOf = async (tail?: number) =>
      (
        await checkEventStoreHealth(pool, 'orders', {
          projections: ['lag_probe'],
          streamPrefix: prefix,
          ...(tail ? { tail } : {}),
        })
      ).projections.lag_probe!;
    const checkpoint = (stream: string, version: number) =>
      pool.query(
        `INSERT INTO orders.projection_checkpoints (projection, stream_id, version) VALUES ('lag_probe', $1, $2)
         ON CONFLICT (projection, stream_id) DO UPDATE SET version = $2`,
        [stream, version],
      );
    const a = `${prefix}a`;
    await store.append(a, 'no_stream', [added(1), added(2)], { publish: true });
    // a relay delivered them without this projection: the outbox is done, the checkpoint never moved
    await pool.query('UPDATE orders.outbox SET delivered_at = now() WHERE aggregate_id = $1', [a]);
    await pool.query(
      "UPDATE orders.events SET recorded_at = now() - interval '5 minutes' WHERE stream_id = $1",
      [a],
    );
    const stopped = await lagOf();
    assert.equal(stopped.streamsBehind, 1);
    assert.ok(stopped.lagSeconds >= 300, String(stopped.lagSeconds));
    await checkpoint(a, 1);
    assert.equal((await lagOf()).streamsBehind, 1, 'version 2 is still past the checkpoint');
    await checkpoint(a, 2);
    assert.deepEqual(await lagOf(), { streamsBehind: 0, lagSeconds: 0 });

    // b is older than the newest two events (c's), and its outbox row is still undelivered: it counts
    const b = `${prefix}b`;
    const c = `${prefix}c`;
    await store.append(b, 'no_stream', [added(3)], { publish: true });
    await store.append(c, 'no_stream', [added(4), added(5)], { publish: true });
    await checkpoint(c, 2);
    assert.equal((await lagOf(2)).streamsBehind, 1);
    // once delivered, b is only found among the newest events: a projection that skipped it while applying
    // everything after it would be missed with a tail of two (the default looks at 1000)
    await pool.query('UPDATE orders.outbox SET delivered_at = now() WHERE aggregate_id = ANY($1)', [[b, c]]);
    assert.equal((await lagOf(2)).streamsBehind, 0);
    assert.equal((await lagOf()).streamsBehind, 1);
  });
});
