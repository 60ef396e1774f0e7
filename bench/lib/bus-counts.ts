/**
 * What the bus carried, counted on the broker: the sum of the log end offsets of every `<service>.events`
 * topic (each message the relays published moves one of them by one), and a wait until the stack's bus work
 * is done (every outbox row delivered, the read-model consumer groups at the end of their topics), so a
 * count taken after it holds everything the orders before it caused and nothing of the next run.
 */
import type { Pool } from 'pg';
import { consumerLag } from '../../src/bus/lag';
import { createPartitionReader, type PartitionReader } from '../../src/bus/partition-reader';
import { EVENT_TOPICS } from '../../src/bus/topics';
import { SERVICES } from '../../src/domain/ids';

export interface BusCounter {
  /** messages in the project's event topics so far (sum of log end offsets) */
  messages(): Promise<number>;
  /**
   * waits (bounded) until no outbox row is pending and the read-model groups have no lag; returns whether
   * it got there and the queries it sent to Postgres
   */
  settle(timeoutMs?: number): Promise<{ settled: boolean; queries: number }>;
  close(): Promise<void>;
}

export function busCounter(brokers: string[], pool: Pool): BusCounter {
  const reader: PartitionReader = createPartitionReader({ brokers, clientId: 'bench-bus-count' });
  const pendingSql = SERVICES.map(
    (s) => `(SELECT count(*) FROM ${s}.outbox WHERE delivered_at IS NULL)`,
  ).join(' + ');
  return {
    async messages() {
      let total = 0n;
      for (const topic of EVENT_TOPICS) for (const end of await reader.endOffsets(topic)) total += end;
      return Number(total);
    },
    async settle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let queries = 0;
      while (Date.now() < deadline) {
        queries++;
        const r = await pool.query<{ pending: string }>(`SELECT ${pendingSql} AS pending`);
        if (Number(r.rows[0]!.pending) === 0) {
          const lag = await consumerLag(brokers).catch(() => undefined);
          if (lag && lag.every((p) => p.lag === 0)) return { settled: true, queries };
        }
        await new Promise((res) => setTimeout(res, 200));
      }
      return { settled: false, queries };
    },
    close: () => reader.close(),
  };
}
