/**
 * The dead-letter side of an ordered consumer (ordered-consumer.ts): sends a message that cannot be applied
 * to `<name>.dlq` with the reason in its headers, records it in the schema's `bus_dead_letters` table and,
 * for an event, marks its version done so the stream goes on.
 */
import { deadLetterHeaders, recordDeadLetter, type RawConsumed } from './dead-letter';
import { skipDeadVersion, type BusEvent } from './ordered-apply';
import type { OrderedConsumerOptions } from './ordered-consumer';
import { createBusProducer, type BusProducer } from './producer';

export interface DeadLetterer {
  send(m: RawConsumed, reason: string, tries: number, event?: BusEvent): Promise<void>;
  close(): Promise<void>;
}

export function createDeadLetterer(
  opts: Pick<OrderedConsumerOptions, 'brokers' | 'pool' | 'schema' | 'name' | 'instance'>,
  dlq: string,
  onDeadLettered: (m: RawConsumed, tries: number, reason: string) => void,
): DeadLetterer {
  let producer: BusProducer | undefined;
  return {
    async send(m, reason, tries, event) {
      producer ??= createBusProducer({
        brokers: opts.brokers,
        clientId: `${opts.name}-dlq-${opts.instance}`,
      });
      await producer
        .send([
          {
            topic: dlq,
            key: m.key,
            value: m.value,
            headers: m.headers ?? {
              eventId: `undecodable:${m.topic}/${m.partition}/${m.offset}`,
              type: 'Undecodable',
              schemaVersion: 1,
            },
            extraHeaders: deadLetterHeaders(m, opts.name, reason, tries),
          },
        ])
        .catch((err: unknown) => {
          producer = undefined; // a new producer for the next try
          throw err;
        });
      await recordDeadLetter(opts.pool, opts.schema, opts.name, m, {
        ...(m.headers && { eventId: m.headers.eventId }),
        ...(event && { streamId: event.envelope.streamId, version: event.envelope.version }),
        tries,
        error: reason,
      });
      if (event) {
        const { streamId, version } = event.envelope;
        await skipDeadVersion(opts.pool, opts.schema, opts.name, streamId, version);
      }
      onDeadLettered(m, tries, reason);
    },
    async close() {
      await producer?.close().catch(() => undefined);
    },
  };
}
