/**
 * The relay's loop on a durable Postgres: an idle relay is woken by NOTIFY (after or inside the commit) or
 * in-process by a store on its pool, delivers in per-aggregate order, and deletes rows past the retention.
 */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { createEventStore } from './store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import pgLib, { type Pool } from 'pg';
import { outboxChannel } from './sql';
import { createPool } from '../db/pool';
import { DURABILITY_SETTINGS } from '../platform/postgres';
import { eventually } from '../../test/support/eventually';
import { RELAY_SCHEMA as SCHEMA, relayHelpers } from '../../test/support/relay';
import { durabilityOf } from '../../test/support/stack';
import type { EventEnvelope } from './envelope';
import type { EventStore } from './types';

describe('relay loop (real Postgres, durable)', () => {
  let url: string;
  let pool: Pool;
  let store: EventStore;
  const { start, stopAll, allDelivered, sentinel, firstBatchDone } = relayHelpers(() => pool);

  eventStoreFixture(
    {
      durability: 'durable',
      poolMax: 20,
      store: { schema: SCHEMA, snapshotEvery: 100 },
      beforeStop: () => stopAll(),
    },
    (f) => ({ pool, store, url } = f),
  );

  it('runs on a durable Postgres (fsync, synchronous_commit and full_page_writes on): commit timing is real', async () => {
    assert.deepEqual(await durabilityOf(pool), { ...DURABILITY_SETTINGS.durable });
  });

  it('delivers every message once the relay runs, in per-aggregate order, woken by NOTIFY', async () => {
    const got = new Map<string, number[]>();
    const streams = Array.from({ length: 12 }, () => `item-${randomUUID()}`);
    const first = await sentinel();
    const relay = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 120_000, // polling alone would not deliver within the test's wait: NOTIFY must wake it
      subscribers: [
        {
          name: 'recorder',
          handle: async (m) => {
            if (!streams.includes(m.aggregateId)) return;
            const env = m.payload as EventEnvelope;
            got.set(m.aggregateId, [...(got.get(m.aggregateId) ?? []), env.version]);
            await Promise.resolve();
          },
        },
      ],
    });
    await firstBatchDone(first); // the relay is idle, waiting to be woken
    assert.equal(relay.stats().leader, true);
    // both ways of notifying: after the commit (default) and inside the transaction; the after-commit store
    // is on a pool of its own, as in another process (on the relay's pool it would wake it directly, below)
    const otherPool = createPool(url, { max: 10 });
    const afterCommit = createEventStore({ pool: otherPool, schema: SCHEMA });
    const inTx = createEventStore({ pool, schema: SCHEMA, notify: 'in-transaction' });
    await Promise.all(
      streams.map(async (s, i) => {
        const st = i % 2 === 0 ? afterCommit : inTx;
        for (let v = 0; v < 8; v++)
          await st.append(s, v, [{ type: 'Restocked', data: { v } }], { publish: true });
      }),
    );
    await allDelivered(streams, 'delivery', 20_000);
    for (const s of streams) assert.deepEqual(got.get(s), [1, 2, 3, 4, 5, 6, 7, 8]);
    await relay.stop();
    await otherPool.end();
  });

  it("a store on the leading relay's pool wakes it in-process: delivered at once, no NOTIFY sent", async () => {
    const streams = Array.from({ length: 6 }, () => `item-${randomUUID()}`);
    const listener = new pgLib.Client({ connectionString: url });
    await listener.connect();
    const received: string[] = [];
    listener.on('notification', (n) => received.push(n.payload ?? ''));
    const marker = `marker-${randomUUID()}`;
    const notifications = () => received.filter((p) => p !== marker).length;
    await listener.query(`LISTEN "${outboxChannel(SCHEMA)}"`);
    const first = await sentinel();
    const relay = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 120_000, // neither polling nor a NOTIFY can deliver within the wait below
      subscribers: [{ name: 'sink', handle: () => Promise.resolve() }],
    });
    try {
      await firstBatchDone(first); // idle, waiting to be woken
      assert.equal(relay.stats().leader, true);
      for (let v = 0; v < 3; v++)
        await Promise.all(
          streams.map((s) => store.append(s, v, [{ type: 'Restocked', data: { v } }], { publish: true })),
        );
      await allDelivered(streams, 'delivery', 10_000);
      // A NOTIFY of the appends would be a query on this pool, started before its append returned. Once the
      // pool has no query running or queued, every such NOTIFY has committed; one sent after that arrives
      // after all of them (Postgres delivers notifications in commit order). So when the marker arrives,
      // every NOTIFY of the appends has too.
      await eventually(
        () => assert.ok(pool.waitingCount === 0 && pool.idleCount === pool.totalCount, 'pool busy'),
        { what: 'no query in flight on the pool', intervalMs: 5 },
      );
      await listener.query('SELECT pg_notify($1, $2)', [outboxChannel(SCHEMA), marker]);
      await eventually(() => assert.ok(received.includes(marker)), { what: 'the marker NOTIFY' });
      assert.equal(notifications(), 0, 'no NOTIFY while the relay of this pool leads in this process');
      await relay.stop();
      // without a leading relay here the store NOTIFYs (a relay in another process may lead)
      await store.append(streams[0]!, 3, [{ type: 'Restocked', data: {} }], { publish: true });
      await eventually(() => assert.ok(notifications() > 0), { what: 'a NOTIFY', timeoutMs: 5_000 });
    } finally {
      await listener.end();
    }
  });

  it('the active relay deletes delivered rows past the retention, and keeps the rest', async () => {
    const old = randomUUID();
    const recent = randomUUID();
    await pool.query(
      `INSERT INTO ${SCHEMA}.outbox (message_id, topic, aggregate_id, payload, delivered_at)
       VALUES ($1, 't', 'retention', '{}', now() - interval '2 hours'), ($2, 't', 'retention', '{}', now())`,
      [old, recent],
    );
    const relay = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 50,
      retentionMs: 3_600_000,
      subscribers: [],
    });
    const left = async () =>
      (
        await pool.query<{ message_id: string }>(
          `SELECT message_id FROM ${SCHEMA}.outbox WHERE aggregate_id = 'retention'`,
        )
      ).rows.map((r) => r.message_id);
    await eventually(async () => assert.ok(!(await left()).includes(old)), { what: 'cleanup' });
    assert.deepEqual(await left(), [recent]);
    await relay.stop();
  });
});
