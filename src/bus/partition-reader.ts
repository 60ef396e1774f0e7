/**
 * Reads a topic's partitions directly (no consumer group, nothing committed): log end offsets, the offset of
 * the first message at or after a time, and the event ids of an offset range. The relay sink uses it to learn
 * which events are already in the topic before it sends, so a resend after a crash or a failed send does not
 * write an event twice.
 */
import { Consumer } from '@platformatic/kafka';
import { forceClose } from './close';
import { HEADER_NAMES } from './headers';

export interface PartitionReader {
  /** partitions of the topic */
  partitions(topic: string): Promise<number>;
  /** each partition's log end offset (the offset the next message will get) */
  endOffsets(topic: string): Promise<bigint[]>;
  /** per partition, the offset of the first message written at or after `at` (the end offset when none) */
  offsetsAt(topic: string, at: Date): Promise<bigint[]>;
  /** the event-id header of every message in [from, to) of one partition, with its offset */
  eventIds(topic: string, partition: number, from: bigint, to: bigint): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

export function createPartitionReader(opts: { brokers: string[]; clientId: string }): PartitionReader {
  let client: Consumer | undefined;
  const get = () =>
    (client ??= new Consumer({
      groupId: `${opts.clientId}-reader`, // required by the client; no group is joined
      clientId: opts.clientId,
      bootstrapBrokers: opts.brokers,
      retries: 2,
      timeout: 5000,
    }));
  const guarded = async <T>(fn: (c: Consumer) => Promise<T>): Promise<T> => {
    const c = get();
    try {
      return await fn(c);
    } catch (err) {
      client = undefined; // start over with fresh connections (e.g. after a broker restart)
      await forceClose(c);
      throw err;
    }
  };
  const eventIdHeader = Buffer.from(HEADER_NAMES.eventId);

  return {
    partitions: (topic) =>
      guarded(async (c) => {
        const md = await c.metadata({ topics: [topic] });
        const count = md.topics.get(topic)?.partitionsCount;
        if (!count) throw new Error(`topic ${topic} is unknown to the cluster`);
        return count;
      }),
    endOffsets: (topic) =>
      guarded(async (c) => [...((await c.listOffsets({ topics: [topic] })).get(topic) ?? [])]),
    offsetsAt: (topic, at) =>
      guarded(async (c) => {
        const [byTime, ends] = await Promise.all([
          c.listOffsets({ topics: [topic], timestamp: BigInt(at.getTime()) }),
          c.listOffsets({ topics: [topic] }),
        ]);
        const end = ends.get(topic) ?? [];
        return [...(byTime.get(topic) ?? [])].map((o, i) => (o < 0n ? (end[i] ?? 0n) : o));
      }),
    eventIds: (topic, partition, from, to) =>
      guarded(async (c) => {
        const ids = new Map<string, bigint>();
        let next = from;
        while (next < to) {
          const md = await c.metadata({ topics: [topic] });
          const t = md.topics.get(topic);
          const leader = t?.partitions[partition]?.leader;
          if (!t || leader === undefined || leader < 0)
            throw new Error(`${topic}/${partition} has no leader`);
          const res = await c.fetch({
            node: leader,
            maxWaitTime: 500,
            minBytes: 1,
            maxBytes: 8 * 1024 * 1024,
            topics: [
              {
                topicId: t.id,
                partitions: [
                  {
                    partition,
                    fetchOffset: next,
                    partitionMaxBytes: 4 * 1024 * 1024,
                    currentLeaderEpoch: -1,
                    lastFetchedEpoch: -1,
                  },
                ],
              },
            ],
          });
          const p = res.responses[0]?.partitions[0];
          if (!p || p.errorCode !== 0) throw new Error(`fetch ${topic}/${partition}: error ${p?.errorCode}`);
          const before = next;
          for (const batch of p.records ?? []) {
            for (const r of batch.records) {
              const offset = batch.firstOffset + BigInt(r.offsetDelta);
              if (offset < next || offset >= to) continue;
              const h = r.headers.find(([k]) => k?.equals(eventIdHeader));
              if (h?.[1]) ids.set(h[1].toString(), offset);
            }
            next =
              batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n > next
                ? batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
                : next;
          }
          if (next === before) {
            if (p.highWatermark <= next) break; // nothing more to read (the range ended early)
            throw new Error(
              `fetch ${topic}/${partition} at ${next} returned nothing below ${p.highWatermark}`,
            );
          }
        }
        return ids;
      }),
    async close() {
      const c = client;
      client = undefined;
      if (c) await c.close().catch(() => undefined);
    },
  };
}
