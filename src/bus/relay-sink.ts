/**
 * The outbox relay's Kafka subscriber: publishes a service's outbox messages to `<service>.events` (key =
 * stream id, headers from the envelope) and resolves only after the broker acknowledged them, so the relay
 * marks a message delivered only then. A failed send rejects: the relay keeps the message, backs off and
 * tries again, and stops that aggregate meanwhile, so nothing is dropped and one aggregate's messages are
 * never reordered.
 *
 * Exactly once in the topic: a send whose outcome is unknown (a failure after the broker wrote, or a relay
 * killed between the acknowledgement and its "delivered" mark) leaves a message that the next try would
 * write again. So before it sends, the sink compares each partition's log end offset with the offset up to
 * which it knows the partition's content; anything past that (written by a failed send, or by a relay that
 * led before this one) is read back, and a message whose event id is already there is acknowledged without
 * being sent. The first time it sees a partition it reads back from shortly before the oldest message it is
 * asked to send (message timestamps are the send time, after the outbox row's creation).
 *
 * Concurrent calls (the relay delivers several aggregates at once) are coalesced into one send.
 */
import type { OutboxDelivery, OutboxSubscriber } from '../eventstore';
import type { ServiceName } from '../workflows/contracts';
import { toBusMessage } from './event-message';
import { createPartitionReader, type PartitionReader } from './partition-reader';
import { createBusProducer, partitionOf, type BusMessage, type BusProducer } from './producer';
import { eventsTopic } from './topics';

export interface RelaySinkStats {
  /** messages the broker acknowledged */
  published: number;
  /** messages found already in the topic and not sent again */
  alreadyPublished: number;
  /** sends that failed (their messages were retried by the relay) */
  failedSends: number;
}

export interface RelaySinkOptions {
  service: ServiceName;
  brokers: string[];
  /** how far before a message's outbox time to look for an earlier copy of it; default 60 s */
  lookBackMs?: number;
  /** messages per send; default 500 */
  maxBatch?: number;
  /** the producer's tries of one send before it fails; default 3 (the relay then backs off and retries) */
  retries?: number;
  onPublished?: (count: number, topic: string) => void;
  /** injected for tests; default a producer on `brokers` */
  producer?: BusProducer;
}

export interface RelaySink {
  subscriber: OutboxSubscriber;
  stats(): RelaySinkStats;
  close(): Promise<void>;
}

interface Pending {
  message: BusMessage;
  createdAt: Date;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** What the sink knows about one partition: its content up to `knownTo`, from `coveredFrom` on. */
interface PartitionView {
  coveredFrom: bigint;
  coveredFromTime: number;
  knownTo: bigint;
  ids: Map<string, bigint>;
}

const MAX_REMEMBERED = 200_000;

export function createKafkaRelaySink(opts: RelaySinkOptions): RelaySink {
  const topic = eventsTopic(opts.service);
  const lookBackMs = opts.lookBackMs ?? 60_000;
  const maxBatch = opts.maxBatch ?? 500;
  const clientId = `relay-${opts.service}`;
  const producer =
    opts.producer ?? createBusProducer({ brokers: opts.brokers, clientId, retries: opts.retries ?? 3 });
  const reader: PartitionReader = createPartitionReader({ brokers: opts.brokers, clientId });
  const views = new Map<number, PartitionView>();
  const stats: RelaySinkStats = { published: 0, alreadyPublished: 0, failedSends: 0 };
  let queue: Pending[] = [];
  let flushing = false;
  let closed = false;

  /** Brings what the sink knows of `partition` up to its end offset, back to `oldest` (minus the margin). */
  async function refresh(partition: number, end: bigint, oldest: Date): Promise<PartitionView> {
    const from = oldest.getTime() - lookBackMs;
    let view = views.get(partition);
    if (!view || from < view.coveredFromTime) {
      const start = (await reader.offsetsAt(topic, new Date(from)))[partition] ?? end;
      const ids = await reader.eventIds(topic, partition, start, view ? view.coveredFrom : end);
      if (view) for (const [id, o] of view.ids) ids.set(id, o);
      view = { coveredFrom: start, coveredFromTime: from, knownTo: view?.knownTo ?? end, ids };
      views.set(partition, view);
    }
    if (view.knownTo < end) {
      for (const [id, o] of await reader.eventIds(topic, partition, view.knownTo, end)) view.ids.set(id, o);
      view.knownTo = end;
    }
    if (view.ids.size > MAX_REMEMBERED) views.delete(partition); // read back again next time
    return view;
  }

  async function publish(batch: Pending[]): Promise<void> {
    const partitions = await reader.partitions(topic);
    const ends = await reader.endOffsets(topic);
    const byPartition = new Map<number, Pending[]>();
    for (const p of batch) {
      const part = partitionOf(p.message.key, partitions);
      byPartition.set(part, [...(byPartition.get(part) ?? []), p]);
    }
    const toSend: Pending[] = [];
    for (const [part, items] of byPartition) {
      const oldest = new Date(Math.min(...items.map((i) => i.createdAt.getTime())));
      const view = await refresh(part, ends[part] ?? 0n, oldest);
      for (const item of items) {
        if (view.ids.has(item.message.headers.eventId)) stats.alreadyPublished += 1;
        else toSend.push(item);
      }
    }
    if (toSend.length === 0) return;
    const acks = await producer.send(toSend.map((p) => p.message));
    stats.published += acks.length;
    opts.onPublished?.(acks.length, topic);
    // what this send wrote is known content only when nobody else wrote in between
    acks.forEach((ack, i) => {
      const view = views.get(ack.partition);
      if (!view) return;
      if (ack.offset === view.knownTo) view.knownTo = ack.offset + 1n;
      view.ids.set(toSend[i]!.message.headers.eventId, ack.offset);
    });
  }

  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          await publish(batch);
          for (const p of batch) p.resolve();
        } catch (err) {
          stats.failedSends += 1;
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      flushing = false;
    }
  }

  const subscriber: OutboxSubscriber = {
    name: `kafka:${topic}`,
    handle: (delivery: OutboxDelivery) =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(new Error('the Kafka relay sink is closed'));
          return;
        }
        queue.push({
          message: toBusMessage(opts.service, delivery),
          createdAt: delivery.createdAt,
          resolve,
          reject,
        });
        setImmediate(() => void flush());
      }),
  };

  return {
    subscriber,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      await producer.close();
      await reader.close();
    },
  };
}
