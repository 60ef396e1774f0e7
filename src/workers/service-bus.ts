/**
 * The bus part of a service's worker process: the outbox relay's Kafka subscriber (publishes the service's
 * integration events to `<service>.events`) and the consumer groups the service owns, each with
 * `consumersPerGroup` members in this process:
 * - orders:    `orders.timeline` over every service's topic → orders.order_timeline
 * - inventory: `inventory.demand` over `inventory.events` → inventory.demand_slots, one CRDT slot per member
 */
import type { Pool } from 'pg';
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
  const sink = createKafkaRelaySink({ service, brokers: opts.brokers });
  const consumers: ServiceBus['consumers'] = [];
  return {
    subscriber: sink.subscriber,
    sink,
    consumers,
    startConsumers() {
      for (const group of consumerGroupsOf(service)) {
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
