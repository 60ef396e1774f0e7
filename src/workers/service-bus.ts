/**
 * The bus part of a service's worker process: the outbox relay's Kafka subscriber (publishes the service's
 * integration events to `<service>.events`) and the consumer groups the service owns, each with
 * `consumersPerGroup` members in this process:
 * - orders:    `orders.timeline` over every service's topic → orders.order_timeline
 * - inventory: `inventory.demand` over `inventory.events` → inventory.demand_slots, one CRDT slot per member
 */
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { createBusMetrics } from '../bus/metrics';
import type { OutboxSubscriber, RelayLog } from '../eventstore';
import {
  startOrderedConsumer,
  type OrderedConsumer,
  type OrderedConsumerOptions,
} from '../bus/ordered-consumer';
import { createKafkaRelaySink, type RelaySink } from '../bus/relay-sink';
import { DEMAND_CONSUMER, DEMAND_TOPICS, demandApplier } from '../services/inventory/demand';
import { applyToTimeline, TIMELINE_CONSUMER, TIMELINE_TOPICS } from '../services/orders/timeline';
import type { ServiceName } from '../workflows/contracts';

export interface ServiceBusOptions {
  brokers: string[];
  consumersPerGroup: number;
  /** unique among the processes of one service (e.g. the worker's metrics port): part of each CRDT slot */
  processTag: string;
  log?: RelayLog;
  /** the process's registry: bus_published_total, bus_consumed_total and bus_consumer_lag go there */
  registry?: Registry;
  /** tests: consumer overrides (session timeout, tries) */
  consumerOptions?: Partial<Pick<OrderedConsumerOptions, 'sessionTimeoutMs' | 'maxTries' | 'retryDelayMs'>>;
}

export interface ServiceBus {
  /** the relay subscriber that publishes this service's events */
  subscriber: OutboxSubscriber;
  sink: RelaySink;
  consumers: { name: string; instance: string; consumer: OrderedConsumer }[];
  /** starts the consumers (after the relay, so a consumer's topics exist) */
  startConsumers(): void;
  stop(): Promise<void>;
}

/** The consumer groups a service owns: name, topics, and the effect of a member (by its slot). */
export function consumerGroupsOf(
  service: ServiceName,
): { name: string; topics: readonly string[]; apply: (slot: string) => OrderedConsumerOptions['apply'] }[] {
  switch (service) {
    case 'orders':
      return [{ name: TIMELINE_CONSUMER, topics: TIMELINE_TOPICS, apply: () => applyToTimeline }];
    case 'inventory':
      return [{ name: DEMAND_CONSUMER, topics: DEMAND_TOPICS, apply: demandApplier }];
    default:
      return [];
  }
}

export function createServiceBus(service: ServiceName, pool: Pool, opts: ServiceBusOptions): ServiceBus {
  const groups = consumerGroupsOf(service);
  const metrics = opts.registry
    ? createBusMetrics(opts.registry, {
        brokers: opts.brokers,
        groups: groups.map((g) => ({ group: g.name, topics: g.topics })),
      })
    : undefined;
  const sink = createKafkaRelaySink({
    service,
    brokers: opts.brokers,
    onPublished: (n, topic) => metrics?.published.inc({ topic }, n),
  });
  const consumers: ServiceBus['consumers'] = [];
  return {
    subscriber: sink.subscriber,
    sink,
    consumers,
    startConsumers() {
      for (const group of groups) {
        for (let i = 0; i < opts.consumersPerGroup; i++) {
          const instance = `${opts.processTag}-${i}`;
          consumers.push({
            name: group.name,
            instance,
            consumer: startOrderedConsumer({
              brokers: opts.brokers,
              pool,
              schema: service,
              name: group.name,
              instance,
              topics: group.topics,
              apply: group.apply(instance),
              onOutcome: (outcome) => metrics?.consumed.inc({ group: group.name, outcome }),
              ...opts.consumerOptions,
              ...(opts.log && { log: opts.log }),
            }),
          });
        }
      }
    },
    async stop() {
      await Promise.all(consumers.map((c) => c.consumer.stop()));
      await sink.close();
    },
  };
}
