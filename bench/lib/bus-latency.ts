/**
 * The two sides of the bus section's latency ratio:
 * - `applyLagSampler`: outbox commit → consumer apply of the stack's own events. Nothing records when each
 *   event was applied, but every consumer advances its checkpoint (`<schema>.bus_checkpoints`: stream,
 *   version, updated_at = now() of the apply's transaction) in the transaction of its effect, and the event's
 *   row keeps the append's time (`<schema>.events.recorded_at` = now() of the append, which wrote the outbox
 *   row in the same statement). Polled every `intervalMs`, each checkpoint seen at a new version is one
 *   sample: updated_at − recorded_at of that version, both on the Postgres clock. Versions a checkpoint
 *   passed between two polls are not sampled.
 * - `bareHop`: a bare producer → consumer on the same broker: the project's producer (idempotent, sends
 *   serialised, resolves on the broker's ack; bus/producer.ts) sends one message at a time at a fixed rate to
 *   a topic of its own, with the same partitions, headers and value size as the events; a raw group member
 *   (bus/consumer.ts, offset committed after the handler) receives it. Latency = received − handed to the
 *   producer, both on the bench process's clock.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ensureTopics } from '../../src/bus/admin';
import { startBusConsumer } from '../../src/bus/consumer';
import { createBusProducer } from '../../src/bus/producer';
import { DEMAND_CONSUMER } from '../../src/services/inventory/demand';
import { TIMELINE_CONSUMER } from '../../src/services/orders/timeline';
import { SERVICES } from '../../src/domain/ids';

/** the read-model consumer groups: the group, the schema of its checkpoints */
const GROUPS = [
  { consumer: TIMELINE_CONSUMER, schema: 'orders' },
  { consumer: DEMAND_CONSUMER, schema: 'inventory' },
] as const;

const lagSql = GROUPS.flatMap((g) =>
  SERVICES.map(
    (s) =>
      `SELECT c.consumer, c.stream_id, c.version::text AS version,
              extract(epoch FROM c.updated_at - e.recorded_at) * 1000 AS lag_ms
         FROM ${g.schema}.bus_checkpoints c JOIN ${s}.events e ON e.stream_id = c.stream_id AND e.version = c.version
        WHERE c.consumer = '${g.consumer}' AND c.updated_at > now() - interval '3 seconds'`,
  ),
).join('\nUNION ALL\n');

export function applyLagSampler(pool: Pool, intervalMs = 100) {
  const seen = new Set<string>();
  let samples: number[] = [];
  let stopped = true;
  let done: Promise<void> = Promise.resolve();
  const poll = async () => {
    const r = await pool.query<{ consumer: string; stream_id: string; version: string; lag_ms: number }>(
      lagSql,
    );
    for (const row of r.rows) {
      const key = `${row.consumer}|${row.stream_id}|${row.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      samples.push(Number(row.lag_ms));
    }
  };
  return {
    start() {
      stopped = false;
      samples = [];
      done = (async () => {
        while (!stopped) {
          await poll().catch(() => undefined);
          await new Promise((res) => setTimeout(res, intervalMs));
        }
        await poll().catch(() => undefined);
      })();
    },
    async stop(): Promise<number[]> {
      stopped = true;
      await done;
      return samples;
    },
  };
}

/** The mean size of the events' JSON (ids, type, data, metadata) appended in the last `seconds`. */
export async function meanEventBytes(pool: Pool, seconds: number): Promise<number> {
  const parts = SERVICES.map(
    (s) =>
      `SELECT octet_length(json_build_object('eventId', event_id, 'streamId', stream_id, 'version', version,
              'type', event_type, 'schemaVersion', schema_version, 'data', data, 'metadata', metadata,
              'recordedAt', recorded_at)::text) AS n
         FROM ${s}.events WHERE recorded_at > now() - make_interval(secs => $1)`,
  ).join('\nUNION ALL\n');
  const r = await pool.query<{ mean: string | null }>(`SELECT avg(n) AS mean FROM (${parts}) x`, [seconds]);
  return Math.round(Number(r.rows[0]?.mean ?? 0)) || 500;
}

export interface BareHop {
  /** sends at `perSecond` for `seconds` (open loop: message i is due at start + i/rate); latencies in ms */
  run(perSecond: number, seconds: number): Promise<{ sent: number; received: number; latencies: number[] }>;
  close(): Promise<void>;
}

export async function startBareHop(opts: {
  brokers: string[];
  partitions: number;
  valueBytes: number;
}): Promise<BareHop> {
  const topic = 'bench.bare-hop';
  await ensureTopics({ brokers: opts.brokers, topics: [topic], partitions: opts.partitions });
  const producer = createBusProducer({ brokers: opts.brokers, clientId: 'bench-bare-producer' });
  let current: { runId: string; latencies: number[] } | undefined;
  const consumer = await startBusConsumer({
    brokers: opts.brokers,
    groupId: `bench.bare-hop-${randomUUID().slice(0, 8)}`,
    clientId: 'bench-bare-consumer',
    topics: [topic],
    handle(message) {
      const at = Date.now();
      const { runId, sentAt } = JSON.parse(message.value) as { runId: string; sentAt: number };
      if (current?.runId === runId) current.latencies.push(at - sentAt);
    },
  });
  consumer.done.catch(() => undefined);
  const padding = (n: number) => 'x'.repeat(Math.max(0, n));
  return {
    async run(perSecond, seconds) {
      const runId = randomUUID();
      const run = { runId, latencies: [] as number[] };
      current = run;
      const total = Math.max(1, Math.round(perSecond * seconds));
      const started = performance.now();
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        const wait = started + (i * 1000) / perSecond - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const head = JSON.stringify({ runId, sentAt: Date.now(), pad: '' });
        const value = head.replace('"pad":""', `"pad":"${padding(opts.valueBytes - head.length)}"`);
        const id = randomUUID();
        sends.push(
          producer
            .send([
              {
                topic,
                key: `bare-${i % 64}`,
                value,
                headers: { eventId: id, type: 'BareHop', schemaVersion: 1, correlationId: id },
              },
            ])
            .catch(() => undefined),
        );
      }
      await Promise.all(sends);
      const deadline = Date.now() + 10_000;
      while (run.latencies.length < total && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      current = undefined;
      return { sent: total, received: run.latencies.length, latencies: run.latencies };
    },
    async close() {
      await consumer.close().catch(() => undefined);
      await producer.close().catch(() => undefined);
    },
  };
}
