/**
 * The bus's Prometheus metrics in a worker process: messages published by its relay sink (per topic),
 * messages its consumers handled (per group and outcome: applied, duplicate, held, dead-letter), and at each
 * scrape the lag of the groups it owns per topic and partition (end offset − committed offset).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { consumerLag } from './lag';

export interface BusMetrics {
  published: Counter<'topic'>;
  consumed: Counter<'group' | 'outcome'>;
}

type Groups = { group: string; topics: readonly string[] }[];

/** per registry: the metrics, and the groups whose lag its gauge reports (several services may share one in tests) */
const perRegistry = new WeakMap<Registry, BusMetrics & { groups: Groups }>();

export function createBusMetrics(
  registry: Registry,
  opts: { brokers: string[]; groups: readonly { group: string; topics: readonly string[] }[] },
): BusMetrics {
  const existing = perRegistry.get(registry);
  if (existing) {
    existing.groups.push(...opts.groups);
    return existing;
  }
  const registers = [registry];
  const groups: Groups = [...opts.groups];
  const published = new Counter({
    name: 'bus_published_total',
    help: 'Integration events the outbox relay published to the bus (acknowledged by the broker)',
    labelNames: ['topic'] as const,
    registers,
  });
  const consumed = new Counter({
    name: 'bus_consumed_total',
    help: 'Bus messages handled by this process’s consumers, by outcome (applied, duplicate, held, dead-letter)',
    labelNames: ['group', 'outcome'] as const,
    registers,
  });
  new Gauge({
    name: 'bus_consumer_lag',
    help: 'Messages of the partition the consumer group has not committed yet (end offset − committed offset)',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers,
    async collect() {
      this.reset();
      if (groups.length === 0) return;
      try {
        for (const p of await consumerLag(opts.brokers, groups))
          this.set({ group: p.group, topic: p.topic, partition: String(p.partition) }, p.lag);
      } catch {
        // the broker does not answer: no lag samples (its /health says why)
      }
    },
  });
  const metrics = { published, consumed, groups };
  perRegistry.set(registry, metrics);
  return metrics;
}
