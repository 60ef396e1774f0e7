/**
 * The outbox message of a published event, and pure helpers around it.
 *
 * Events reach the outbox in one of two ways, both in the append's transaction:
 * - `append(..., { publish: true })` mirrors every stored event to the outbox inside the append statement
 *   (message id = event id, topic `<schema>.<type>`, aggregate id = stream id, payload an EventEnvelope);
 *   the orders service uses this so the read models receive every Order event.
 * - `outboxFor(storedEvents, schema)` builds the same messages for a caller that appends with its own
 *   transaction (`opts.client`) and writes them with `writeOutbox(client, schema, messages)`.
 */
import type { EventMetadata, OutboxMessage, StoredEvent, UpcasterRegistry } from './types';

/** Payload of a published event: everything a projection needs to apply it in stream order. */
export interface EventEnvelope<T extends string = string, D = unknown> {
  eventId: string;
  streamId: string;
  version: number;
  type: T;
  schemaVersion: number;
  data: D;
  metadata: EventMetadata;
  /** ISO 8601 */
  recordedAt: string;
}

export function toEnvelope(e: StoredEvent): EventEnvelope {
  return {
    eventId: e.id,
    streamId: e.streamId,
    version: e.version,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt.toISOString(),
  };
}

export function outboxFor(events: StoredEvent[], schema: string): OutboxMessage[] {
  return events.map((e) => ({
    id: e.id,
    topic: `${schema}.${e.type}`,
    aggregateId: e.streamId,
    payload: toEnvelope(e),
    metadata: e.metadata,
  }));
}

/** Type guard for payloads that claim to be envelopes (the relay hands subscribers `unknown`). */
export function isEnvelope(payload: unknown): payload is EventEnvelope {
  if (typeof payload !== 'object' || payload === null) return false;
  const p = payload as Record<string, unknown>;
  return (
    typeof p.eventId === 'string' &&
    typeof p.streamId === 'string' &&
    typeof p.version === 'number' &&
    typeof p.type === 'string' &&
    typeof p.recordedAt === 'string'
  );
}

/** Applies the upcaster registered for the event type when its data is older than the current version. */
export function upcast(
  registry: UpcasterRegistry | undefined,
  type: string,
  schemaVersion: number,
  data: unknown,
): { schemaVersion: number; data: unknown } {
  const u = registry?.[type];
  if (!u || schemaVersion >= u.currentVersion) return { schemaVersion, data };
  return { schemaVersion: u.currentVersion, data: u.upcast(schemaVersion, data) };
}

export function upcastEnvelope(registry: UpcasterRegistry | undefined, env: EventEnvelope): EventEnvelope {
  const u = upcast(registry, env.type, env.schemaVersion, env.data);
  return u.data === env.data ? env : { ...env, ...u };
}
