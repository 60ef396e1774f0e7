/**
 * Relay election on a durable Postgres: one relay leads, a standby takes over when the leader dies between
 * delivering and marking, and the redelivery applies nothing twice (processOnce).
 */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import type { OutboxDelivery, OutboxRelay } from './outbox-relay';
import { processOnce } from './process-once';
import { DURABILITY_SETTINGS } from '../platform/postgres';
import { eventually } from '../../test/support/eventually';
import { RELAY_SCHEMA as SCHEMA, relayHelpers } from '../../test/support/relay';
import { durabilityOf } from '../../test/support/stack';
import type { EventEnvelope } from './envelope';
import type { EventStore } from './types';

describe('relay election (real Postgres, durable)', () => {
  let pool: Pool;
  let store: EventStore;
  const { start, stopAll, allDelivered, createAppliedTable } = relayHelpers(() => pool);

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
});
