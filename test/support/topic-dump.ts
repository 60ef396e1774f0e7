/**
 * Reads a whole topic as it is now (every partition up to the end offset it had when called) with a plain
 * client in a group of its own, for assertions about what the log holds: each message's key, partition,
 * offset, headers and value, per partition in offset order.
 */
import { randomUUID } from 'node:crypto';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { forceClose } from '../../src/bus/close';
import { eventually } from './eventually';

export interface DumpedMessage {
  partition: number;
  offset: bigint;
  key: string;
  value: string;
  headers: Map<string, string>;
}

export async function dumpTopic(
  brokers: string[],
  topic: string,
  timeoutMs = 120_000,
): Promise<DumpedMessage[]> {
  const consumer = new Consumer<string, string, string, string>({
    groupId: `dump-${randomUUID()}`,
    clientId: 'topic-dump',
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
  });
  try {
    const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    const total = ends.reduce((a, b) => a + Number(b), 0);
    const out: DumpedMessage[] = [];
    if (total === 0) return out;
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const read = async (): Promise<void> => {
      for await (const m of stream) {
        if (m.offset < (ends[m.partition] ?? 0n))
          out.push({
            partition: m.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: new Map(m.headers),
          });
        if (out.length >= total) break;
      }
    };
    const reading = read();
    await eventually(
      () => {
        if (out.length < total) throw new Error(`${out.length} of ${total} messages of ${topic} read`);
      },
      { timeoutMs },
    );
    await stream.close();
    await reading.catch(() => undefined);
    return out.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  } finally {
    await forceClose(consumer);
  }
}
