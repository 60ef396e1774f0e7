/**
 * Append on a durable Postgres: the expected-version check under concurrency, outbox rows in the same
 * statement, idempotent retries by event id, and appends in a caller's transaction.
 */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { DURABILITY_SETTINGS } from '../platform/postgres';
import { durabilityOf } from '../../test/support/stack';
import { outboxFor } from './envelope';
import { writeOutbox } from './outbox-write';
import { added } from '../../test/support/tally';
import { ConcurrencyError, EventIdConflictError, type EventStore } from './types';

describe('append (real Postgres, durable)', () => {
  let pool: Pool;
  let store: EventStore;

  eventStoreFixture({ durability: 'durable' }, (f) => ({ pool, store } = f));

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
});
