/**
 * The ordering rule of a bus consumer, made durable in the consumer's own schema (migrations/0070):
 * per (consumer, stream) the last version applied is a row of `bus_checkpoints`, read FOR UPDATE and
 * advanced in the same transaction as the consumer's effect. An event at or below it was applied already and
 * is ignored; the next version is applied; a later one arrived early and is kept in `bus_held` (not skipped)
 * until its predecessor has been applied, then taken from there (see takeHeld). Each application also
 * appends a row to `bus_applied` (migrations/0090) in the same transaction.
 */
import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '../db/pool';
import type { EventEnvelope } from '../eventstore';
import type { EventHeaders } from './headers';
import { consumerSchema } from './sql';

/** One event as a consumer's `apply` sees it. */
export interface BusEvent {
  topic: string;
  envelope: EventEnvelope;
  headers: EventHeaders;
}

export type ApplyOutcome = 'applied' | 'duplicate' | 'held';

export type ApplyFn = (client: PoolClient, event: BusEvent) => Promise<void>;

/** Locks and returns the stream's checkpoint (0 for a stream never seen), inside the caller's transaction. */
async function lockCheckpoint(
  client: PoolClient,
  s: string,
  consumer: string,
  streamId: string,
): Promise<number> {
  await client.query(
    `INSERT INTO ${s}.bus_checkpoints (consumer, stream_id, version) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`,
    [consumer, streamId],
  );
  const r = await client.query<{ version: string }>(
    `SELECT version FROM ${s}.bus_checkpoints WHERE consumer = $1 AND stream_id = $2 FOR UPDATE`,
    [consumer, streamId],
  );
  return Number(r.rows[0]!.version);
}

async function setCheckpoint(
  client: PoolClient,
  s: string,
  consumer: string,
  streamId: string,
  version: number,
) {
  await client.query(
    `UPDATE ${s}.bus_checkpoints SET version = $3, updated_at = now() WHERE consumer = $1 AND stream_id = $2`,
    [consumer, streamId, version],
  );
  // a held copy of what is now applied (or a duplicate of it) is no longer needed
  await client.query(`DELETE FROM ${s}.bus_held WHERE consumer = $1 AND stream_id = $2 AND version <= $3`, [
    consumer,
    streamId,
    version,
  ]);
}

/** Applies one event under the ordering rule, in one transaction with its checkpoint. */
export async function applyInStreamOrder(
  pool: Pool,
  schema: string,
  consumer: string,
  event: BusEvent,
  apply: ApplyFn,
): Promise<ApplyOutcome> {
  const s = consumerSchema(schema);
  const { streamId, version } = event.envelope;
  return withTransaction(pool, async (client) => {
    const applied = await lockCheckpoint(client, s, consumer, streamId);
    if (version <= applied) return 'duplicate';
    if (version > applied + 1) {
      await client.query(
        `INSERT INTO ${s}.bus_held (consumer, stream_id, version, event_id, topic, envelope, headers)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [consumer, streamId, version, event.envelope.eventId, event.topic, event.envelope, event.headers],
      );
      return 'held';
    }
    await apply(client, event);
    await setCheckpoint(client, s, consumer, streamId, version);
    // the append-only record of applications (migrations/0090): what an outside check reads
    await client.query(
      `INSERT INTO ${s}.bus_applied (consumer, topic, stream_id, version, event_id) VALUES ($1, $2, $3, $4, $5)`,
      [consumer, event.topic, streamId, version, event.envelope.eventId],
    );
    return 'applied';
  });
}

/**
 * Marks a version as given up on (dead-lettered): the checkpoint moves past it when it was the next one, so
 * the stream's later events are not held behind it forever. Returns the checkpoint after.
 */
export async function skipDeadVersion(
  pool: Pool,
  schema: string,
  consumer: string,
  streamId: string,
  version: number,
): Promise<number> {
  const s = consumerSchema(schema);
  return withTransaction(pool, async (client) => {
    const applied = await lockCheckpoint(client, s, consumer, streamId);
    if (version !== applied + 1) return applied;
    await setCheckpoint(client, s, consumer, streamId, version);
    return version;
  });
}

/** The held event that comes next for a stream, if it is there (it stays held until applied). */
export async function takeHeld(
  pool: Pool,
  schema: string,
  consumer: string,
  streamId: string,
): Promise<BusEvent | undefined> {
  const s = consumerSchema(schema);
  const r = await pool.query<{ topic: string; envelope: EventEnvelope; headers: EventHeaders }>(
    `SELECT h.topic, h.envelope, h.headers FROM ${s}.bus_held h
       JOIN ${s}.bus_checkpoints c ON c.consumer = h.consumer AND c.stream_id = h.stream_id
     WHERE h.consumer = $1 AND h.stream_id = $2 AND h.version = c.version + 1`,
    [consumer, streamId],
  );
  const row = r.rows[0];
  return row ? { topic: row.topic, envelope: row.envelope, headers: row.headers } : undefined;
}

export interface HeldSummary {
  count: number;
  oldestAgeS: number | null;
}

export async function heldSummary(pool: Pool, schema: string, consumer: string): Promise<HeldSummary> {
  const s = consumerSchema(schema);
  const r = await pool.query<{ count: string; age: number | null }>(
    `SELECT count(*) AS count, extract(epoch FROM now() - min(received_at))::float8 AS age
     FROM ${s}.bus_held WHERE consumer = $1`,
    [consumer],
  );
  return { count: Number(r.rows[0]?.count ?? 0), oldestAgeS: r.rows[0]?.age ?? null };
}
