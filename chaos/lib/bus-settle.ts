/**
 * Before a phase is checked: waits until every consumer group of oracle/bus.ts has applied (or
 * dead-lettered) every delivered event of the topics it reads, the positive marker that the consumers have
 * caught up (bounded: what is left shows as busLost); then reads the event topics with the independent
 * Kafka client for the oracle.
 */
import type { Pool } from 'pg';
import { BUS_CONSUMERS, eventsTopic } from '../oracle/bus';
import { readBus, type BusRead } from '../oracle/kafka-read';
import { SCHEMAS } from '../oracle/snapshot';
import { until } from './markers';

/** Delivered events some consumer group has neither applied nor dead-lettered yet. */
export async function countUnconsumed(pool: Pool): Promise<number> {
  let n = 0;
  for (const c of BUS_CONSUMERS)
    for (const s of c.topics) {
      const r = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${s}.outbox o
          WHERE o.delivered_at IS NOT NULL AND o.payload ? 'eventId'
            AND NOT EXISTS (SELECT 1 FROM ${c.schema}.bus_applied a
                             WHERE a.consumer = $1 AND a.event_id = o.payload->>'eventId')
            AND NOT EXISTS (SELECT 1 FROM ${c.schema}.bus_dead_letters d
                             WHERE d.consumer = $1 AND d.event_id = o.payload->>'eventId')`,
        [c.name],
      );
      n += r.rows[0]?.n ?? 0;
    }
  return n;
}

/** Resolves with 0 once every consumer caught up, or with what is left after the bound. */
export async function waitForConsumers(pool: Pool, boundMs: number): Promise<number> {
  const caughtUp = await until(async () => (await countUnconsumed(pool)) === 0, {
    timeoutMs: boundMs,
    everyMs: 500,
  });
  return caughtUp ? 0 : countUnconsumed(pool).catch(() => -1);
}

/** The four event topics as the console consumer reads them. */
export const readEventTopics = (brokers: readonly string[]): Promise<BusRead> =>
  readBus(
    brokers,
    SCHEMAS.map((s) => eventsTopic(s)),
  );
