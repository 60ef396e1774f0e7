/**
 * Shared plumbing of the service use-case layer: command metadata, how a step's key becomes the options of
 * the event store's one command handler (handleCommand), and the audit-trail record shape.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { HandleCommandOptions } from '../eventstore/command';
import { createEventStore } from '../eventstore/store';
import type { EventMetadata, EventStore, StoredEvent } from '../eventstore/types';

/**
 * What every command receives besides its arguments: the event metadata (the activities' EventMetadata) or
 * the API's CommandContext ({ requestId, idempotencyKey, actor }); both fit. `idempotencyKey` is the key of
 * the step or request: retrying with the same key writes nothing new.
 */
export type CommandMeta = EventMetadata & { actor?: string };

export interface ServiceDeps {
  pool: Pool;
  /** defaults to createEventStore({ pool, schema: <the service's schema> }) */
  store?: EventStore;
  /** time passed into the commands; default () => new Date() */
  clock?: () => Date;
}

/** One audit-trail entry (the API's EventRecord). */
export interface EventRecord {
  type: string;
  version: number;
  data: unknown;
  /** ISO 8601 */
  recordedAt: string;
}

export const toEventRecord = (e: StoredEvent): EventRecord => ({
  type: e.type,
  version: e.version,
  data: e.data,
  recordedAt: e.recordedAt.toISOString(),
});

export function resolveDeps(
  deps: ServiceDeps,
  schema: string,
): { store: EventStore; pool: Pool; now: () => string } {
  const store = deps.store ?? createEventStore({ pool: deps.pool, schema });
  if (store.schema !== schema) throw new Error(`the ${schema} service needs the ${schema} event store`);
  const clock = deps.clock ?? (() => new Date());
  return { store, pool: deps.pool, now: () => clock().toISOString() };
}

/**
 * The key the event ids derive from. One step key may drive several commands (e.g. "mark shipped" and
 * "complete" under one activity key) and several streams (one per SKU), so the stream and command type are
 * part of it: equal only for a true retry of the same command on the same stream.
 */
export const eventKey = (key: string, streamId: string, commandType: string): string =>
  `${key}|${streamId}|${commandType}`;

export function metadataOf(meta: CommandMeta, key: string): EventMetadata {
  return { ...meta, idempotencyKey: meta.idempotencyKey ?? key };
}

/**
 * The command handler's options for a command of a service: the step's key (meta.idempotencyKey, else
 * `defaultKey`) goes into the metadata, the event ids derive from eventKey(key, stream, command type), and
 * every appended event is published through the outbox.
 */
export function commandOptions(meta: CommandMeta, defaultKey: string): HandleCommandOptions {
  const key = meta.idempotencyKey ?? defaultKey;
  return {
    idempotencyKey: (streamId, commandType) => eventKey(key, streamId, commandType),
    metadata: metadataOf(meta, key),
    publish: true,
  };
}

/** An id for a command that has no idempotency key (then it is not idempotent across calls). */
export const freshId = (): string => randomUUID();
