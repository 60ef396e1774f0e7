/**
 * Runs a service's reactions to choreographed orders in its worker process: the service's ordered bus
 * consumer (checkpoints, held and dead-lettered events in its schema) and the poller of its scheduled
 * messages. The Kafka relay sink that publishes the service's own outbox to `<service>.events` is started
 * with the outbox relay (service-worker.ts).
 */
import type { Pool } from 'pg';
import { ensureTopics } from '../bus/admin';
import { startOrderedConsumer, type OrderedConsumer } from '../bus/ordered-consumer';
import { EVENT_TOPICS } from '../bus/topics';
import type { CarrierClient } from '../carrier/client';
import type { RelayLog } from '../eventstore';
import { startScheduler, type Scheduler } from '../scheduler';
import { createInventoryReactions } from '../services/inventory/reactions';
import { createOrdersReactions } from '../services/orders/reactions';
import { createPaymentsReactions } from '../services/payments/reactions';
import type { ServiceReactions } from '../services/reactions/types';
import { createShippingReactions } from '../services/shipping/reactions';
import type { ServiceName } from '../workflows/contracts';

export interface ReactionsDeps {
  pool: Pool;
  brokers: string[];
  /** partitions of the `<service>.events` topics when they are created here; default 6 */
  topicPartitions?: number;
  /** this process's id within the consumer group */
  instance: string;
  log: RelayLog;
  /** shipping only: the process's carrier client (its circuit breaker is the activities' one) */
  carrier?: CarrierClient;
  supportedCountries: readonly string[];
  schedulerPollMs?: number;
}

export interface RunningReactions {
  consumer: OrderedConsumer;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

export function reactionsFor(name: ServiceName, deps: ReactionsDeps): ServiceReactions {
  const base = { pool: deps.pool, log: deps.log };
  switch (name) {
    case 'orders':
      return createOrdersReactions(base);
    case 'inventory':
      return createInventoryReactions(base);
    case 'payments':
      return createPaymentsReactions(base);
    case 'shipping':
      if (!deps.carrier) throw new Error('the shipping reactions need a carrier client');
      return createShippingReactions({
        ...base,
        carrier: deps.carrier,
        supportedCountries: deps.supportedCountries,
      });
  }
}

export async function startReactions(name: ServiceName, deps: ReactionsDeps): Promise<RunningReactions> {
  const reactions = reactionsFor(name, deps);
  // The worker starts without the broker: its consumer retries until the topics answer (the stack creates
  // them; npm start creates them before the workers), and the outbox keeps every event until then.
  await ensureTopics({
    brokers: deps.brokers,
    topics: EVENT_TOPICS,
    partitions: deps.topicPartitions ?? 6,
  }).catch((err: unknown) =>
    deps.log?.warn({ err: String(err).slice(0, 200) }, 'reactions: the bus topics are not reachable yet'),
  );
  const consumer = startOrderedConsumer({
    brokers: deps.brokers,
    pool: deps.pool,
    schema: name,
    name: reactions.consumer,
    instance: deps.instance,
    topics: reactions.topics,
    apply: reactions.apply,
    log: deps.log,
  });
  const scheduler = startScheduler({
    pool: deps.pool,
    schema: name,
    handlers: reactions.scheduled,
    pollIntervalMs: deps.schedulerPollMs ?? 250,
    log: deps.log,
  });
  return {
    consumer,
    scheduler,
    async stop() {
      await scheduler.stop();
      await consumer.stop();
    },
  };
}
