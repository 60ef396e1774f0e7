/** Reading one stream: as of a time or a version, and older event schema versions upcast on read. */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { createEventStore } from './store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { added, tally } from '../../test/support/tally';
import type { EventStore } from './types';

describe('read stream (real Postgres)', () => {
  let pool: Pool;
  let store: EventStore;

  eventStoreFixture({}, (f) => ({ pool, store } = f));

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
});
