/**
 * What every service shares: its dependencies, the metadata a command receives, how a step's key becomes the
 * options of the event store's command handler (handleCommand), and the audit-trail record.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { HandleCommandOptions } from '../eventstore/command';
import { createEventStore } from '../eventstore/store';
import type { EventMetadata, EventStore, StoredEvent } from '../eventstore/types';

/**
 * What every command receives besides its arguments: a saga step's metadata (src/activities/step-meta.ts) or
 * the API's { requestId, idempotencyKey, actor }. `idempotencyKey` is the key of the step or request:
 * retrying with the same key writes nothing new.
 */
export type CommandMeta = EventMetadata & { actor?: string };

export interface ServiceDeps {
  pool: Pool;
  /** defaults to createEventStore({ pool, schema: <the service's schema> }) */
  store?: EventStore;
  /** time passed into the commands; default () => new Date() */
  clock?: () => Date;
}

/** One audit-trail entry, as GET .../events answers it. */
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
 * The command handler's options for a command of a service: the step's key (meta.idempotencyKey, else
 * `defaultKey`) goes into the metadata, and every appended event is published through the outbox. The event
 * ids derive from `<key>|<stream>|<command type>`: one step key may drive several commands (shipped, then
 * completed) and several streams (one per SKU), so the ids are equal only for a true retry of the same
 * command on the same stream.
 */
export function commandOptions(meta: CommandMeta, defaultKey: string): HandleCommandOptions {
  const key = meta.idempotencyKey ?? defaultKey;
  return {
    idempotencyKey: (streamId, commandType) => `${key}|${streamId}|${commandType}`,
    metadata: { ...meta, idempotencyKey: key },
    publish: true,
  };
}

/** An id for a command that has no idempotency key (then it is not idempotent across calls). */
export const freshId = (): string => randomUUID();
