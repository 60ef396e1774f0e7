/**
 * The bus consumer: a member of a consumer group that hands each message to `handle` one at a time, in
 * partition order, and commits its offset only after `handle` resolved (at least once: a message whose
 * handling did not finish is delivered again, to this group member or the next owner of its partition).
 *
 * A message the consumer cannot take (bad headers) or that `handle` rejects stops the consumer at that
 * offset: nothing after it in its partition is committed, `done` rejects with the error, and the next start
 * of the group resumes there. What to do with such a message (retry, dead-letter) is the caller's policy.
 */
import { Consumer, stringDeserializers, type Message } from '@platformatic/kafka';
import { forceClose } from './close';
import { decodeHeaders, type EventHeaders } from './headers';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: string;
  value: string;
  headers: EventHeaders;
  /** the headers as they came (text) */
  rawHeaders: ReadonlyMap<string, string>;
}

/** A message whose headers could not be decoded. */
export type UndecodableMessage = Omit<ConsumedMessage, 'headers'>;

export interface BusConsumerOptions {
  brokers: string[];
  groupId: string;
  clientId: string;
  topics: readonly string[];
  handle(message: ConsumedMessage): Promise<void> | void;
  /**
   * a message with missing or bad headers: without this handler it stops the consumer (`done` rejects);
   * with it, the handler decides (e.g. dead-letters it) and the offset is committed after it resolved
   */
  handleUndecodable?(message: UndecodableMessage, error: Error): Promise<void> | void;
  /** a member that sends no heartbeat for this long (ms) leaves the group; default 10 s */
  sessionTimeoutMs?: number;
}

export interface BusConsumer {
  /** settles when consumption ends: resolves after close(), rejects with what stopped it */
  readonly done: Promise<void>;
  /** stops after the message being handled (its offset committed) and leaves the group */
  close(): Promise<void>;
}

/**
 * Joins the group and starts consuming from the group's committed offsets (from the beginning of a
 * partition the group never committed). Resolves once the member joined.
 */
export async function startBusConsumer(opts: BusConsumerOptions): Promise<BusConsumer> {
  const sessionTimeout = opts.sessionTimeoutMs ?? 10_000;
  const consumer = new Consumer<string, string, string, string>({
    groupId: opts.groupId,
    clientId: opts.clientId,
    bootstrapBrokers: opts.brokers,
    deserializers: stringDeserializers,
    sessionTimeout,
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 4)),
  });
  let stream: Awaited<ReturnType<typeof consumer.consume>>;
  try {
    stream = await consumer.consume({
      topics: [...opts.topics],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
  } catch (err) {
    await forceClose(consumer);
    throw err;
  }
  let closing = false;

  const loop = async (): Promise<void> => {
    for await (const raw of stream as AsyncIterable<Message<string, string, string, string>>) {
      if (closing) break;
      const base: UndecodableMessage = {
        topic: raw.topic,
        partition: raw.partition,
        offset: raw.offset,
        key: raw.key,
        value: raw.value,
        rawHeaders: raw.headers,
      };
      let headers: EventHeaders;
      try {
        headers = decodeHeaders(raw.headers);
      } catch (err) {
        if (!opts.handleUndecodable) throw err;
        await opts.handleUndecodable(base, err as Error);
        await raw.commit();
        continue;
      }
      await opts.handle({ ...base, headers });
      await raw.commit();
    }
  };
  const done = loop().finally(async () => {
    await stream.close().catch(() => undefined);
    await forceClose(consumer);
  });
  done.catch(() => undefined); // the caller learns of a failure through `done`, not as an unhandled rejection

  return {
    done,
    async close() {
      closing = true;
      await stream.close().catch(() => undefined);
      await done.catch(() => undefined);
    },
  };
}
