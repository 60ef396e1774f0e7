/**
 * How far behind the bus's consumer groups are, and whether the broker answers: per group, topic and
 * partition the log end offset minus the group's committed offset (a partition the group never committed
 * counts from 0), and the dead letters each service's consumers recorded. Used by the API's /health and
 * by the workers' /metrics (bus_consumer_lag).
 */
import { Admin } from '@platformatic/kafka';
import type { Pool } from 'pg';
import { DEMAND_CONSUMER, DEMAND_TOPICS } from '../services/inventory/demand';
import { TIMELINE_CONSUMER, TIMELINE_TOPICS } from '../services/orders/timeline';
import type { ServiceName } from '../workflows/contracts';
import { describeCluster } from './admin';
import { createPartitionReader } from './partition-reader';
import { consumerSchema } from './sql';

/** The project's consumer groups: the service that owns each, and what it reads. */
export const CONSUMER_GROUPS: readonly { group: string; service: ServiceName; topics: readonly string[] }[] =
  [
    { group: TIMELINE_CONSUMER, service: 'orders', topics: TIMELINE_TOPICS },
    { group: DEMAND_CONSUMER, service: 'inventory', topics: DEMAND_TOPICS },
  ];

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  committed: bigint;
  end: bigint;
  lag: number;
}

export async function consumerLag(
  brokers: string[],
  groups: readonly { group: string; topics: readonly string[] }[] = CONSUMER_GROUPS,
  timeoutMs = 2000,
): Promise<PartitionLag[]> {
  const admin = new Admin({
    clientId: 'order-saga-lag',
    bootstrapBrokers: brokers,
    retries: 0,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  const reader = createPartitionReader({ brokers, clientId: 'order-saga-lag' });
  try {
    const committed = await admin.listConsumerGroupOffsets({ groups: groups.map((g) => g.group) });
    const byGroup = new Map(committed.map((g) => [g.groupId, g]));
    const topics = [...new Set(groups.flatMap((g) => g.topics))];
    const ends = new Map(
      await Promise.all(topics.map(async (t) => [t, await reader.endOffsets(t)] as const)),
    );
    const out: PartitionLag[] = [];
    for (const g of groups) {
      for (const topic of g.topics) {
        const offsets = byGroup.get(g.group)?.topics.find((t) => t.name === topic)?.partitions ?? [];
        (ends.get(topic) ?? []).forEach((end, partition) => {
          const c = offsets.find((p) => p.partitionIndex === partition)?.committedOffset ?? -1n;
          const from = c < 0n ? 0n : c;
          out.push({ group: g.group, topic, partition, committed: from, end, lag: Number(end - from) });
        });
      }
    }
    return out;
  } finally {
    await reader.close();
    await admin.close().catch(() => undefined);
  }
}

export async function deadLetterCounts(pool: Pool): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const g of CONSUMER_GROUPS) {
    const r = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${consumerSchema(g.service)}.bus_dead_letters WHERE consumer = $1`,
      [g.group],
    );
    out[g.group] = r.rows[0]?.n ?? 0;
  }
  return out;
}

export interface BusHealth {
  ok: boolean;
  brokers: string[];
  /** why the broker is considered down */
  error?: string;
  /** per group: messages not yet consumed, summed over its partitions */
  lag?: Record<string, number>;
  deadLetters: Record<string, number>;
}

/** The broker answers (one Metadata request), the groups' lag, and the dead letters so far. */
export async function checkBusHealth(pool: Pool, brokers: string[], timeoutMs = 1500): Promise<BusHealth> {
  const deadLetters = await deadLetterCounts(pool);
  try {
    await describeCluster(brokers, timeoutMs);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, brokers, error: `broker ${brokers.join(',')} unreachable: ${why}`, deadLetters };
  }
  const lag: Record<string, number> = {};
  try {
    for (const p of await consumerLag(brokers, CONSUMER_GROUPS, timeoutMs))
      lag[p.group] = (lag[p.group] ?? 0) + p.lag;
  } catch (err) {
    return { ok: true, brokers, error: `lag unknown: ${String(err)}`.slice(0, 200), deadLetters };
  }
  return { ok: true, brokers, lag, deadLetters };
}
