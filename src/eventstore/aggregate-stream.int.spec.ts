/** Aggregating a stream: folding from a snapshot gives the same state as a full replay. */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { added, tally, type TallyState } from '../../test/support/tally';
import type { EventStore } from './types';

describe('aggregate stream (real Postgres)', () => {
  let pool: Pool;
  let store: EventStore;

  eventStoreFixture({}, (f) => ({ pool, store } = f));

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
});
