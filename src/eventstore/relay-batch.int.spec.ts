/**
 * Relay batches on a durable Postgres: a failing aggregate is retried with backoff without holding up the
 * others, and a transactional subscriber's writes (handler or single statement) commit with the mark.
 */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { DURABILITY_SETTINGS } from '../platform/postgres';
import { eventually } from '../../test/support/eventually';
import { RELAY_SCHEMA as SCHEMA, relayHelpers } from '../../test/support/relay';
import { durabilityOf } from '../../test/support/stack';
import type { EventEnvelope } from './envelope';
import type { EventStore } from './types';

describe('relay batch (real Postgres, durable)', () => {
  let pool: Pool;
  let store: EventStore;
  const { start, stopAll, allDelivered, assertAppliedOnceWithTheMark, createAppliedTable } = relayHelpers(
    () => pool,
  );

  eventStoreFixture(
    {
      durability: 'durable',
      poolMax: 20,
      store: { schema: SCHEMA, snapshotEvery: 100 },
      beforeStop: () => stopAll(),
    },
    (f) => ({ pool, store } = f),
  );
  before(async () => {
    await createAppliedTable();
  });

  it('runs on a durable Postgres (fsync, synchronous_commit and full_page_writes on): commit timing is real', async () => {
    assert.deepEqual(await durabilityOf(pool), { ...DURABILITY_SETTINGS.durable });
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
});
