/**
 * The generic projection machinery with a TypeScript projection (the orders read models, SQL projections,
 * are checked in src/services/orders/read-models): stream order against the checkpoints, delivery through
 * the relay, and a rebuild from the log that equals the live model.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createPool, withTransaction } from '../../db/pool';
import type { RunningPostgres } from '../../platform/postgres';
import { eventually } from '../../../test/support/eventually';
import { startTestPostgres } from '../../../test/support/stack';
import type { EventEnvelope } from '../envelope';
import { startOutboxRelay } from '../outbox-relay';
import { createEventStore } from '../store';
import type { EventStore } from '../types';
import { ProjectionGapError, applyInOrder, projectionSubscriber, type Projection } from './projection';
import { rebuildProjection } from './rebuild';

/** per stream: the sum of the events' amounts and the last version applied */
const totals: Projection = {
  name: 'test_totals',
  tables: ['orders.test_totals'],
  handles: (env) => env.streamId.startsWith('totals-'),
  apply: async (client, env) => {
    const amount = (env.data as { amount?: number }).amount ?? 0;
    await client.query(
      `INSERT INTO orders.test_totals (stream_id, total, version) VALUES ($1, $2, $3)
       ON CONFLICT (stream_id) DO UPDATE SET total = test_totals.total + $2, version = $3`,
      [env.streamId, amount, env.version],
    );
  },
};

describe('projections (real Postgres)', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  let store: EventStore;

  before(async () => {
    pg = await startTestPostgres();
    pool = createPool(pg.url, { max: 10 });
    store = createEventStore({ pool, schema: 'orders' });
    await pool.query(
      'CREATE TABLE orders.test_totals (stream_id text PRIMARY KEY, total int NOT NULL, version int NOT NULL)',
    );
  });
  after(async () => {
    await pool?.end();
    await pg?.stop();
  });

  const model = async () =>
    (
      await pool.query<{ stream_id: string; total: number; version: number }>(
        'SELECT stream_id, total, version FROM orders.test_totals ORDER BY stream_id',
      )
    ).rows;

  it('applies a stream in version order: a repeated version is skipped, one after a gap is refused', async () => {
    const streamId = `totals-${randomUUID()}`;
    const env = (version: number, amount: number): EventEnvelope => ({
      eventId: randomUUID(),
      streamId,
      version,
      type: 'Added',
      schemaVersion: 1,
      data: { amount },
      metadata: {},
      recordedAt: '2026-03-01T10:00:00.000Z',
    });
    const apply = (e: EventEnvelope) =>
      withTransaction(pool, (client) => applyInOrder(client, 'orders', totals, e));
    assert.equal(await apply(env(1, 5)), 'applied');
    await assert.rejects(apply(env(3, 7)), ProjectionGapError);
    assert.equal(await apply(env(2, 2)), 'applied');
    assert.equal(await apply(env(2, 2)), 'duplicate');
    assert.equal(await apply(env(3, 7)), 'applied');
    const row = await pool.query('SELECT total, version FROM orders.test_totals WHERE stream_id = $1', [
      streamId,
    ]);
    assert.deepEqual(row.rows, [{ total: 14, version: 3 }]);
    await pool.query('DELETE FROM orders.test_totals WHERE stream_id = $1', [streamId]);
    await pool.query('DELETE FROM orders.projection_checkpoints WHERE stream_id = $1', [streamId]);
  });

  it('fed by the relay, the model equals its rebuild from the log', async () => {
    const relay = startOutboxRelay({
      pool,
      schema: 'orders',
      pollIntervalMs: 100,
      subscribers: [projectionSubscriber('orders', totals)],
    });
    try {
      const streams = Array.from({ length: 5 }, () => `totals-${randomUUID()}`);
      let written = 0;
      for (const [i, s] of streams.entries())
        for (let v = 0; v <= i; v++) {
          await store.append(s, v, [{ type: 'Added', data: { amount: 10 * i + v } }], { publish: true });
          written += 1;
        }
      await eventually(
        async () => {
          const n = await pool.query('SELECT 1 FROM orders.outbox WHERE delivered_at IS NULL');
          assert.equal(n.rowCount, 0);
        },
        { what: 'the relay to deliver everything', timeoutMs: 60_000 },
      );
      const live = await model();
      assert.equal(live.length, streams.length);
      await pool.query('UPDATE orders.test_totals SET total = -1');
      const rebuilt = await rebuildProjection(pool, 'orders', totals);
      assert.equal(rebuilt.applied, written);
      assert.deepEqual(await model(), live);
    } finally {
      await relay.stop();
    }
  });
});
