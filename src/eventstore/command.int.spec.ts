/**
 * The command handler: conflicts decided again, deterministic ids that make a retried step a no-op, and
 * several streams written all or nothing.
 */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { handleCommand } from './command';
import { deterministicEventId } from './event-id';
import { tally } from '../../test/support/tally';
import type { Decider } from '../domain/decider';
import type { EventStore } from './types';

/** A bounded counter: a Take past the limit is refused; a Take whose key was taken before is a no-op. */
type Take = { type: 'Take'; key: string; n: number; limit: number };
type Taken = { type: 'Taken'; data: { key: string; n: number } };
interface Counter {
  taken: number;
  keys: string[];
}
class OverTheLimit extends Error {}
const counter: Decider<Take, Taken, Counter> = {
  initialState: () => ({ taken: 0, keys: [] }),
  decide: (c, s) => {
    if (s.keys.includes(c.key)) return [];
    if (s.taken + c.n > c.limit) throw new OverTheLimit(`${s.taken} + ${c.n} > ${c.limit}`);
    return [{ type: 'Taken', data: { key: c.key, n: c.n } }];
  },
  evolve: (s, e) => ({ taken: s.taken + e.data.n, keys: [...s.keys, e.data.key] }),
};

describe('command handler (real Postgres)', () => {
  let pool: Pool;
  let store: EventStore;

  eventStoreFixture({}, (f) => ({ pool, store } = f));

  it('handleCommand retries on conflicts, and a retried step with deterministic ids is a no-op', async () => {
    const stream = `tally-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        handleCommand(store, stream, tally, { type: 'Add', amount: 1, label: `c${i}` }),
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

  const streams = () => [0, 1, 2].map((i) => `counter-${i}-${randomUUID()}`);
  const takeOn = (ids: string[], key: string, n: number, limits: number[]) =>
    ids.map((streamId, i) => ({
      streamId,
      decider: counter,
      command: { type: 'Take' as const, key, n, limit: limits[i]! },
    }));
  const stepKey = (key: string) => ({
    idempotencyKey: (streamId: string, type: string) => `${key}|${streamId}|${type}`,
  });
  const transactionsOf = async (ids: string[]) =>
    (
      await pool.query<{ n: number }>(
        'SELECT count(DISTINCT transaction_id)::int AS n FROM orders.events WHERE stream_id = ANY($1)',
        [ids],
      )
    ).rows[0]!.n;

  it('several streams: a refusal on any of them writes nothing; otherwise all are written in one transaction', async () => {
    const ids = streams();
    await assert.rejects(handleCommand(store, takeOn(ids, 'k1', 2, [5, 5, 1]), stepKey('s1')), OverTheLimit);
    for (const id of ids) assert.equal(await store.streamVersion(id), 0, 'nothing written');

    const results = await handleCommand(store, takeOn(ids, 'k1', 2, [5, 5, 5]), stepKey('s1'));
    assert.deepEqual(
      results.map((r) => [r.streamId, r.appended, r.version, r.state.taken]),
      ids.map((id) => [id, true, 1, 2]),
    );
    assert.equal(await transactionsOf(ids), 1, 'one transaction for the three streams');
  });

  it('several streams: a retry of the step writes nothing, and a single key for several streams is refused', async () => {
    const ids = streams();
    await handleCommand(store, takeOn(ids, 'k1', 1, [5, 5, 5]), stepKey('s2'));
    const again = await handleCommand(store, takeOn(ids, 'k1', 1, [5, 5, 5]), stepKey('s2'));
    assert.ok(again.every((r) => !r.appended && r.version === 1 && r.state.taken === 1));
    await assert.rejects(
      handleCommand(store, takeOn(ids, 'k2', 1, [5, 5, 5]), { idempotencyKey: 's3' }),
      /an idempotency key per stream/,
    );
    for (const id of ids) assert.equal(await store.streamVersion(id), 1);
  });

  it('several streams: concurrent tries of one step write it once (a stored id decides again on fresh state)', async () => {
    const ids = streams();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => handleCommand(store, takeOn(ids, 'once', 1, [9, 9, 9]), stepKey('s4'))),
    );
    assert.equal(results.filter((r) => r.every((x) => x.appended)).length, 1, 'one try wrote it');
    assert.ok(results.every((r) => r.every((x) => x.version === 1 && x.state.taken === 1)));
    for (const id of ids) assert.equal(await store.streamVersion(id), 1);
  });

  it('several streams: concurrent different commands all land, decided again after each conflict', async () => {
    const ids = streams();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        handleCommand(store, takeOn(ids, `k${i}`, 1, [99, 99, 99]), stepKey(`s5-${i}`)),
      ),
    );
    assert.ok(results.every((r) => r.every((x) => x.appended)));
    for (const id of ids) {
      const s = await store.aggregateStream(id, counter);
      assert.equal(s.version, 8);
      assert.equal(s.state.taken, 8);
    }
  });
});
