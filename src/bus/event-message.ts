/**
 * An outbox message as a bus message and back. On the bus an integration event is the relay's
 * EventEnvelope as JSON, on the topic `<service>.events`, keyed by its stream (aggregate) id, with the typed
 * headers (event id, type, schema version, correlation = order id, causation, request id).
 */
import { isEnvelope, type EventEnvelope, type OutboxDelivery } from '../eventstore';
import type { ServiceName } from '../workflows/contracts';
import type { ConsumedMessage } from './consumer';
import type { EventHeaders } from './headers';
import type { BusMessage } from './producer';
import { eventsTopic } from './topics';

export class BusPayloadError extends Error {
  override name = 'BusPayloadError';
}

/** The order an event belongs to: its correlation id, else the `orderId` of its data. */
export function orderIdOf(env: Pick<EventEnvelope, 'metadata' | 'data'>): string | undefined {
  if (env.metadata?.correlationId) return env.metadata.correlationId;
  const data = env.data as { orderId?: unknown } | null;
  return typeof data?.orderId === 'string' ? data.orderId : undefined;
}

export function toBusMessage(service: ServiceName, m: OutboxDelivery): BusMessage {
  if (!isEnvelope(m.payload)) throw new BusPayloadError(`outbox message ${m.id} is not an event envelope`);
  const env = m.payload;
  const correlationId = orderIdOf(env);
  const headers: EventHeaders = {
    eventId: env.eventId,
    type: env.type,
    schemaVersion: env.schemaVersion,
    ...(correlationId !== undefined && { correlationId }),
    ...(env.metadata.causationId !== undefined && { causationId: env.metadata.causationId }),
    ...(env.metadata.requestId !== undefined && { requestId: env.metadata.requestId }),
  };
  return { topic: eventsTopic(service), key: m.aggregateId, value: JSON.stringify(env), headers };
}

/** The envelope of a consumed message; a BusPayloadError when it is not one or disagrees with its headers. */
export function envelopeOf(m: Pick<ConsumedMessage, 'key' | 'value' | 'headers'>): EventEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(m.value);
  } catch {
    throw new BusPayloadError('payload is not JSON');
  }
  if (!isEnvelope(parsed)) throw new BusPayloadError('payload is not an event envelope');
  if (parsed.eventId !== m.headers.eventId) throw new BusPayloadError('event-id header and payload differ');
  if (parsed.streamId !== m.key) throw new BusPayloadError('key and payload stream id differ');
  if (!Number.isSafeInteger(parsed.version) || parsed.version < 1)
    throw new BusPayloadError(`bad version ${String(parsed.version)}`);
  return parsed;
}
