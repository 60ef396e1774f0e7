/**
 * The bus producer: idempotent (acks=all, one request in flight per connection, the client's retries of a
 * batch reuse its sequence numbers, so a retry after a lost acknowledgement is written once), keyed by
 * aggregate id with Kafka's own partitioning of the key (murmur2, as the Java client does), and it resolves
 * only after the broker acknowledged every message.
 *
 * Two rules the client does not enforce and this wrapper does:
 * - sends are serialised: the client reads a partition's next sequence number when it builds a request and
 *   advances it only when the response arrives, so two concurrent sends to one partition carry the same
 *   sequence and the broker acknowledges the second as a duplicate of the first without writing it;
 * - after a failed send the producer starts over with a new producer id: the failed batch may have been
 *   written, and the next batch would reuse its sequence numbers and be acknowledged without being written.
 *   A caller that sends the failed messages again (the relay does) may then write them twice; consumers
 *   de-duplicate by event id.
 */
import { murmur2, Producer, stringSerializers } from '@platformatic/kafka';
import { forceClose } from './close';
import { encodeHeaders, type EventHeaders } from './headers';

export interface BusMessage {
  topic: string;
  /** aggregate (stream) id: every message with this key goes to one partition, in send order */
  key: string;
  /** the payload (JSON text) */
  value: string;
  headers: EventHeaders;
  /** further headers (wire name → text), e.g. a dead letter's reason */
  extraHeaders?: ReadonlyMap<string, string>;
}

export interface Acknowledged {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface BusProducerOptions {
  brokers: string[];
  clientId: string;
  /** tries of one batch before send() rejects (the client waits 100 ms doubling to 2 s between); default 8 */
  retries?: number;
  /** timeout of one request (ms); default 5 s */
  requestTimeoutMs?: number;
}

export interface BusProducer {
  /**
   * Sends a batch and resolves with each message's partition and offset, in the order given, once the
   * broker acknowledged all of them; rejects when it could not (nothing is known about the batch then: some
   * or all of it may be written). Calls run one at a time, in call order.
   */
  send(messages: readonly BusMessage[]): Promise<Acknowledged[]>;
  close(): Promise<void>;
}

/** Kafka's default partition of a key (the Java client's murmur2, positive), for a topic of `partitions`. */
export function partitionOf(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;
}

export function createBusProducer(opts: BusProducerOptions): BusProducer {
  const make = () =>
    new Producer<string, string, string, string>({
      clientId: opts.clientId,
      bootstrapBrokers: opts.brokers,
      idempotent: true,
      retries: opts.retries ?? 8,
      retryDelay: (_client, _op, attempt) => Math.min(2000, 100 * 2 ** (attempt - 1)),
      timeout: opts.requestTimeoutMs ?? 5000,
      serializers: stringSerializers,
    });
  let producer: Producer<string, string, string, string> | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  const sendNow = async (messages: readonly BusMessage[]): Promise<Acknowledged[]> => {
    if (closed) throw new Error('bus producer is closed');
    if (messages.length === 0) return [];
    const p = (producer ??= make());
    try {
      const topics = [...new Set(messages.map((m) => m.topic))];
      const md = await p.metadata({ topics });
      const placed = messages.map((m) => {
        const count = md.topics.get(m.topic)?.partitionsCount;
        if (!count) throw new Error(`topic ${m.topic} is unknown to the cluster`);
        return { ...m, partition: partitionOf(m.key, count) };
      });
      const result = await p.send({
        messages: placed.map((m) => ({
          topic: m.topic,
          partition: m.partition,
          key: m.key,
          value: m.value,
          headers: new Map([...encodeHeaders(m.headers), ...(m.extraHeaders ?? [])]),
        })),
      });
      const base = new Map((result.offsets ?? []).map((o) => [`${o.topic}/${o.partition}`, o.offset]));
      const next = new Map<string, bigint>();
      return placed.map((m) => {
        const tp = `${m.topic}/${m.partition}`;
        const first = base.get(tp);
        if (first === undefined) throw new Error(`no acknowledgement for ${tp}`);
        const offset = next.get(tp) ?? first;
        next.set(tp, offset + 1n);
        return { topic: m.topic, partition: m.partition, offset };
      });
    } catch (err) {
      producer = undefined;
      await forceClose(p);
      throw err;
    }
  };

  return {
    send(messages) {
      const run = tail.then(() => sendNow(messages));
      tail = run.catch(() => undefined);
      return run;
    },
    async close() {
      closed = true;
      await tail;
      await producer?.close();
      producer = undefined;
    },
  };
}
