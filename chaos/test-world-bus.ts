/**
 * The consistent world's bus (test support for invariants.int.spec.ts): a real Kafka broker, each service's
 * outbox relay publishing to `<service>.events` through the project's Kafka relay sink, and every consumer
 * group the workers run (the service bus's timeline and demand groups, two members each, and each
 * service's choreography reactions), started as the workers start them. It uses the code under check to
 * produce state, never to judge it.
 */
import type { Pool } from 'pg';
import { ensureTopics } from '../src/bus/admin';
import { startOrderedConsumer, type OrderedConsumer } from '../src/bus/ordered-consumer';
import { EVENT_TOPICS } from '../src/bus/topics';
import { createCarrierClient } from '../src/carrier/client';
import type { RelayLog } from '../src/eventstore';
import { createServiceBus, type ServiceBus } from '../src/workers/service-bus';
import { reactionsFor } from '../src/workers/reactions';
import type { ServiceName } from '../src/workflows/contracts';

const quiet: RelayLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function startWorldBus(pool: Pool, brokers: string[]) {
  await ensureTopics({ brokers, topics: EVENT_TOPICS, partitions: 3 });
  const services: ServiceName[] = ['orders', 'inventory', 'payments', 'shipping'];
  const buses = new Map<ServiceName, ServiceBus>(
    services.map((s) => [
      s,
      createServiceBus(s, pool, { brokers, consumersPerGroup: 2, processTag: 'world' }),
    ]),
  );
  const reactions: OrderedConsumer[] = [];
  return {
    /** the relay subscriber that publishes `service`'s outbox to its topic */
    subscriber: (s: ServiceName) => buses.get(s)!.subscriber,
    startConsumers() {
      for (const s of services) {
        buses.get(s)!.startConsumers();
        const r = reactionsFor(s, {
          pool,
          brokers,
          instance: 'world',
          log: quiet,
          // the world's streams are not choreographed sagas: the reactions consume them and call no carrier
          carrier: createCarrierClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000 }),
          supportedCountries: ['US'],
        });
        reactions.push(
          startOrderedConsumer({
            brokers,
            pool,
            schema: s,
            name: r.consumer,
            instance: 'world',
            topics: r.topics,
            apply: r.apply,
          }),
        );
      }
    },
    async stop() {
      await Promise.all(reactions.map((c) => c.stop()));
      await Promise.all([...buses.values()].map((b) => b.stop()));
    },
  };
}
