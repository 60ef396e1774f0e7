/**
 * Dead letters: a message a consumer gave up on after its tries goes to the consumer's dead-letter topic
 * `<consumer>.dlq` (same key, value and headers, plus why and where it came from) and is recorded in the
 * consumer's `bus_dead_letters` table, which /health and the metrics count.
 */
import type { Pool } from 'pg';
import { consumerSchema } from './sql';
import type { ConsumedMessage, UndecodableMessage } from './consumer';
import type { EventHeaders } from './headers';

export const deadLetterTopic = (consumer: string): string => `${consumer}.dlq`;

/** Extra headers of a dead letter (wire names). */
export const DEAD_LETTER_HEADERS = {
  consumer: 'dead-letter-consumer',
  reason: 'dead-letter-reason',
  origin: 'dead-letter-origin',
  tries: 'dead-letter-tries',
} as const;

/** A message as it came off the bus; its headers decoded when they could be (they may be what is wrong). */
export type RawConsumed = UndecodableMessage & { headers?: EventHeaders };

/** The headers a dead letter carries besides the typed ones (all the original ones when those were bad). */
export function deadLetterHeaders(
  m: RawConsumed,
  consumer: string,
  reason: string,
  tries: number,
): Map<string, string> {
  const out = new Map(m.headers ? [] : m.rawHeaders);
  out.set(DEAD_LETTER_HEADERS.consumer, consumer);
  out.set(DEAD_LETTER_HEADERS.reason, reason.slice(0, 1000));
  out.set(DEAD_LETTER_HEADERS.origin, `${m.topic}/${m.partition}/${m.offset}`);
  out.set(DEAD_LETTER_HEADERS.tries, String(tries));
  return out;
}

export async function recordDeadLetter(
  pool: Pool,
  schema: string,
  consumer: string,
  m: Pick<ConsumedMessage, 'topic' | 'partition' | 'offset'>,
  info: { eventId?: string; streamId?: string; version?: number; tries: number; error: string },
): Promise<void> {
  const s = consumerSchema(schema);
  await pool.query(
    `INSERT INTO ${s}.bus_dead_letters (consumer, topic, partition, "offset", event_id, stream_id, version, tries, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
    [
      consumer,
      m.topic,
      m.partition,
      m.offset.toString(),
      info.eventId ?? null,
      info.streamId ?? null,
      info.version ?? null,
      info.tries,
      info.error.slice(0, 2000),
    ],
  );
}

export async function countDeadLetters(pool: Pool, schema: string, consumer?: string): Promise<number> {
  const s = consumerSchema(schema);
  const r = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${s}.bus_dead_letters WHERE $1::text IS NULL OR consumer = $1`,
    [consumer ?? null],
  );
  return Number(r.rows[0]?.n ?? 0);
}
