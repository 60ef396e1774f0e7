import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pgLib, { type Pool } from 'pg';
import { createPool } from '../db/pool';
import { DURABILITY_SETTINGS, type RunningPostgres } from '../platform/postgres';
import { eventually } from '../../test/support/eventually';
import { durabilityOf, startTestPostgres } from '../../test/support/stack';
import type { EventEnvelope } from './envelope';
import { processOnce, startOutboxRelay, type OutboxDelivery, type OutboxRelay } from './outbox-relay';
import { createEventStore, outboxChannel } from './store';
import type { EventStore } from './types';

const SCHEMA = 'inventory';

describe('outbox relay (real Postgres, durable)', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  let store: EventStore;
  const relays: OutboxRelay[] = [];
  const start = (...args: Parameters<typeof startOutboxRelay>) => {
    const r = startOutboxRelay(...args);
    relays.push(r);
    return r;
  };
  const undelivered = async (aggregates: string[]) =>
    (
      await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE delivered_at IS NULL AND aggregate_id = ANY($1)`,
        [aggregates],
      )
    ).rows[0]!.n;
  const allDelivered = (aggregates: string[], what: string, timeoutMs = 30_000) =>
    eventually(async () => assert.equal(await undelivered(aggregates), 0), { what, timeoutMs });

  /**
   * An outbox row written with plain SQL, before a relay starts: nothing NOTIFYs or wakes a relay for it, so
   * the relay's first batch takes it. Once it is delivered (`firstBatchDone`), that batch is over and the relay
   * sleeps until something wakes it: a message it delivers after that was fetched because it was woken (the
   * tests that use this poll every 120 s, longer than any of their waits).
   */
  const sentinel = async (): Promise<string> => {
    const aggregate = `sentinel-${randomUUID()}`;
    await pool.query(
      `INSERT INTO ${SCHEMA}.outbox (message_id, topic, aggregate_id, payload) VALUES ($1, $2, $3, '{}')`,
      [randomUUID(), `${SCHEMA}.Sentinel`, aggregate],
    );
    return aggregate;
  };
  const firstBatchDone = (sentinelAggregate: string) =>
    allDelivered([sentinelAggregate], 'the first batch (the sentinel delivered)');

  /**
   * versions 1..3 of `stream` were each applied once, version 2 after one failed attempt, and every row of
   * relay_test_applied committed with its message's delivered mark (same xmin)
   */
  const assertAppliedOnceWithTheMark = async (stream: string, together: string) => {
    const rows = await pool.query<{
      version: number;
      applied_tx: string;
      marked_tx: string;
      attempts: number;
    }>(
      `SELECT a.version, a.xmin::text AS applied_tx, o.xmin::text AS marked_tx, o.attempts
       FROM ${SCHEMA}.relay_test_applied a JOIN ${SCHEMA}.outbox o ON o.message_id = a.message_id
       WHERE a.stream = $1 ORDER BY a.version`,
      [stream],
    );
    assert.deepEqual(
      rows.rows.map((r) => [r.version, r.attempts]),
      [
        [1, 0],
        [2, 1],
        [3, 0],
      ],
      'each message applied once; the failed attempt left nothing but its count',
    );
    for (const r of rows.rows) assert.equal(r.marked_tx, r.applied_tx, together);
  };

  before(async () => {
    pg = await startTestPostgres({ durability: 'durable' });
    pool = createPool(pg.url, { max: 20 });
    store = createEventStore({ pool, schema: SCHEMA });
    await pool.query(
      `CREATE TABLE ${SCHEMA}.relay_test_applied (message_id uuid PRIMARY KEY, stream text, version int)`,
    );
  });
  after(async () => {
    for (const r of relays) await r.stop();
    await pool?.end();
    await pg?.stop();
  });

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
    const otherPool = createPool(pg.url, { max: 10 });
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
    const listener = new pgLib.Client({ connectionString: pg.url });
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

  it('a subscriber failing for one aggregate does not block the others; it is retried with backoff, in order', async () => {
    const bad = `item-${randomUUID()}`;
    const good = Array.from({ length: 5 }, () => `item-${randomUUID()}`);
    const got: string[] = [];
    let failures = 0;
    const relay = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 50,
      backoffMs: 20,
      subscribers: [
        {
          name: 'flaky',
          handle: async (m) => {
            const env = m.payload as EventEnvelope;
            if (m.aggregateId === bad && env.version === 2 && failures < 3) {
              failures += 1;
              throw new Error('downstream unavailable');
            }
            if (m.aggregateId === bad || good.includes(m.aggregateId))
              got.push(`${m.aggregateId}:${env.version}`);
            await Promise.resolve();
          },
        },
      ],
    });
    for (let v = 0; v < 3; v++)
      await store.append(bad, v, [{ type: 'Restocked', data: {} }], { publish: true });
    for (const g of good)
      await store.append(g, 'no_stream', [{ type: 'Restocked', data: {} }], { publish: true });
    await allDelivered(good, 'the good aggregates');
    await allDelivered([bad], 'the bad aggregate after retries');
    assert.equal(failures, 3);
    assert.deepEqual(
      got.filter((x) => x.startsWith(bad)),
      [`${bad}:1`, `${bad}:2`, `${bad}:3`],
    );
    const row = await pool.query<{ attempts: number; last_error: string }>(
      `SELECT attempts, last_error FROM ${SCHEMA}.outbox WHERE aggregate_id = $1 ORDER BY position OFFSET 1 LIMIT 1`,
      [bad],
    );
    assert.equal(row.rows[0]!.attempts, 3);
    assert.match(row.rows[0]!.last_error, /downstream unavailable/);
    assert.ok(relay.stats().failedAttempts >= 3);
    await relay.stop();
  });

  it('a relay killed between delivery and marking: the standby takes over, delivers again, nothing is applied twice', async () => {
    const stream = `item-${randomUUID()}`;
    const calls: string[] = [];
    let killed = false;
    const subscriber = (relayName: string) => ({
      name: 'applier',
      handle: async (m: OutboxDelivery) => {
        if (m.aggregateId !== stream) return;
        calls.push(`${relayName}:${m.id}`);
        const env = m.payload as EventEnvelope;
        await processOnce(pool, SCHEMA, 'applier', m.id, async (client) => {
          await client.query(`INSERT INTO ${SCHEMA}.relay_test_applied VALUES ($1, $2, $3)`, [
            m.id,
            stream,
            env.version,
          ]);
        });
        if (relayName === 'A' && env.version === 2 && !killed) {
          killed = true;
          relayA.abort(); // the process dies after the subscriber applied the message, before the relay marks it
        }
      },
    });
    const relayA: OutboxRelay = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 50,
      subscribers: [subscriber('A')],
    });
    await eventually(() => assert.ok(relayA.stats().leader), { what: 'A leads' });
    const relayB = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 50,
      standbyRetryMs: 50,
      subscribers: [subscriber('B')],
    });
    await eventually(() => assert.ok(relayB.stats().elections >= 1), { what: "B's first election" });
    assert.equal(relayB.stats().leader, false, 'B stands by while A holds the lock');

    const r = await store.append(
      stream,
      'no_stream',
      [1, 2, 3].map((i) => ({ type: 'Restocked', data: { i } })),
      { publish: true },
    );
    await allDelivered([stream], 'all delivered');
    assert.ok(killed);
    assert.equal(relayB.stats().leader, true, 'B took over');
    const [, id2, id3] = r.events.map((e) => e.id);
    assert.ok(
      calls.includes(`A:${id2}`) && calls.includes(`B:${id2}`),
      `delivered again: ${calls.join(' ')}`,
    );
    assert.ok(calls.includes(`B:${id3}`));
    const applied = await pool.query<{ version: number }>(
      `SELECT version FROM ${SCHEMA}.relay_test_applied WHERE stream = $1 ORDER BY version`,
      [stream],
    );
    assert.deepEqual(
      applied.rows.map((x) => x.version),
      [1, 2, 3],
    );
    await relayB.stop();
  });

  it('handleInTransaction: the writes and the delivered mark commit together; a failure rolls both back and is retried when due, without NOTIFY or polling', async () => {
    const stream = `item-${randomUUID()}`;
    let failed = false;
    const relay = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 120_000, // only the retry's due time (read with each batch) can wake it for the retry
      backoffMs: 300,
      subscribers: [
        {
          name: 'read-model',
          handleInTransaction: async (client, m) => {
            if (m.aggregateId !== stream) return;
            const env = m.payload as EventEnvelope;
            await client.query(`INSERT INTO ${SCHEMA}.relay_test_applied VALUES ($1, $2, $3)`, [
              m.id,
              stream,
              env.version,
            ]);
            if (env.version === 2 && !failed) {
              failed = true;
              throw new Error('read model constraint');
            }
          },
        },
      ],
    });
    await eventually(() => assert.ok(relay.stats().leader), { what: 'leadership' });
    await store.append(
      stream,
      'no_stream',
      [1, 2, 3].map((i) => ({ type: 'Restocked', data: { i } })),
      { publish: true },
    );
    await allDelivered([stream], 'all delivered', 10_000);
    assert.ok(failed);
    await assertAppliedOnceWithTheMark(stream, 'mark and writes in one transaction');
    await relay.stop();
  });

  it('statementFor: the statement and the delivered mark are one statement; a failure rolls both back; null only marks', async () => {
    const stream = `item-${randomUUID()}`;
    const other = `item-${randomUUID()}`;
    // a statement subscriber's writes live in SQL: this one fails version 2 once (a sequence survives rollback)
    await pool.query(`CREATE SEQUENCE IF NOT EXISTS ${SCHEMA}.relay_test_fail_seq`);
    await pool.query(`CREATE OR REPLACE FUNCTION ${SCHEMA}.relay_test_apply(p_id uuid, p_stream text, p_version int)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${SCHEMA}.relay_test_applied VALUES (p_id, p_stream, p_version);
        IF p_version = 2 AND nextval('${SCHEMA}.relay_test_fail_seq') = 1 THEN
          RAISE EXCEPTION 'read model constraint';
        END IF;
      END $$`);
    const relay = start({
      pool,
      schema: SCHEMA,
      pollIntervalMs: 120_000,
      backoffMs: 300,
      subscribers: [
        {
          name: 'sql-read-model',
          handleInTransaction: () => Promise.reject(new Error('the relay should have used statementFor')),
          statementFor: (m) => {
            if (m.aggregateId !== stream) return null;
            const env = m.payload as EventEnvelope;
            return {
              name: 'relay_test_apply',
              text: `SELECT ${SCHEMA}.relay_test_apply($1, $2, $3)`,
              values: [m.id, stream, env.version],
            };
          },
        },
      ],
    });
    await eventually(() => assert.ok(relay.stats().leader), { what: 'leadership' });
    await store.append(
      stream,
      'no_stream',
      [1, 2, 3].map((i) => ({ type: 'Restocked', data: { i } })),
      { publish: true },
    );
    await store.append(other, 'no_stream', [{ type: 'Restocked', data: {} }], { publish: true });
    await allDelivered([stream, other], 'all delivered', 10_000);
    await assertAppliedOnceWithTheMark(stream, 'mark and writes in one statement');
    const otherRows = await pool.query(`SELECT 1 FROM ${SCHEMA}.relay_test_applied WHERE stream = $1`, [
      other,
    ]);
    assert.equal(otherRows.rowCount, 0, 'null: marked delivered, nothing written');
    assert.equal(relay.stats().failedAttempts, 1);
    await relay.stop();
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
