/**
 * Helpers of the outbox relay specs (src/eventstore/relay-*.int.spec.ts): relays that are stopped after the
 * file, waiting for delivery, a sentinel that marks the end of a relay's first batch, and the check that a
 * transactional subscriber's writes committed with the delivered mark.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { startOutboxRelay } from '../../src/eventstore/outbox-relay';
import type { OutboxRelay } from '../../src/eventstore/relay-types';
import { eventually } from './eventually';

export const RELAY_SCHEMA = 'inventory';
const SCHEMA = RELAY_SCHEMA;

export function relayHelpers(db: () => Pool) {
  const relays: OutboxRelay[] = [];
  const start = (...args: Parameters<typeof startOutboxRelay>) => {
    const r = startOutboxRelay(...args);
    relays.push(r);
    return r;
  };
  const stopAll = async () => {
    for (const r of relays) await r.stop();
  };
  const undelivered = async (aggregates: string[]) =>
    (
      await db().query<{ n: number }>(
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
    await db().query(
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
    const rows = await db().query<{
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

  /** the table the applying subscribers write (message id, stream, version) */
  const createAppliedTable = () =>
    db().query(
      `CREATE TABLE ${SCHEMA}.relay_test_applied (message_id uuid PRIMARY KEY, stream text, version int)`,
    );

  return {
    start,
    stopAll,
    allDelivered,
    sentinel,
    firstBatchDone,
    assertAppliedOnceWithTheMark,
    createAppliedTable,
  };
}
