/**
 * Shared plumbing of the service use-case layer: command metadata, deterministic event ids, the
 * load → decide → append loop (single stream through the event store's handleCommand, several streams
 * atomically in one transaction), and the audit-trail record shape.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { withTransaction } from '../db/pool';
import { createEventStore, deterministicEventId, handleCommand } from '../eventstore/store';
import {
  ConcurrencyError,
  type Decider,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type StoredEvent,
} from '../eventstore/types';

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

/** Retries of a contended stream: many concurrent reservations of the last units conflict often. */
const MAX_RETRIES = 100;

export interface ExecuteResult<S> {
  state: S;
  version: number;
  /** false when the outcome had already happened (a retry or a no-op): nothing was written */
  appended: boolean;
  events: StoredEvent[];
}

/** load → decide → append (with outbox messages via `publish`), retried on a version conflict. */
export async function execute<C extends { type: string }, E extends { type: string; data: unknown }, S>(
  store: EventStore,
  streamId: string,
  decider: Decider<C, E, S>,
  command: C,
  meta: CommandMeta,
  defaultKey: string,
): Promise<ExecuteResult<S>> {
  const key = meta.idempotencyKey ?? defaultKey;
  const r = await handleCommand(store, streamId, decider, command, {
    idempotencyKey: eventKey(key, streamId, command.type),
    metadata: metadataOf(meta, key),
    publish: true,
    maxRetries: MAX_RETRIES,
  });
  return { state: r.state, version: r.version, appended: r.appended, events: r.events };
}

export interface StreamCommand<C, E extends { type: string }, S> {
  streamId: string;
  decider: Decider<C, E, S>;
  command: C;
}

/**
 * Decides commands on several streams of one store and appends all their events in one transaction: all
 * or nothing (when only one stream has events to write, its append alone, which is atomic by itself). Every command is decided before anything is written, so a refusal (e.g. InsufficientStock
 * on the second SKU) writes nothing at all. Streams are appended in the given order (callers sort them,
 * so concurrent multi-stream writers cannot deadlock); a version conflict rolls everything back and the
 * whole decision is retried on fresh state.
 */
export async function executeAtomically<
  C extends { type: string },
  E extends { type: string; data: unknown },
  S,
>(
  store: EventStore,
  pool: Pool,
  commands: StreamCommand<C, E, S>[],
  meta: CommandMeta,
  defaultKey: string,
): Promise<{ streamId: string; state: S; version: number; appended: boolean }[]> {
  const key = meta.idempotencyKey ?? defaultKey;
  const metadata = metadataOf(meta, key);
  for (let attempt = 0; ; attempt++) {
    const loaded = await Promise.all(commands.map((c) => store.aggregateStream(c.streamId, c.decider)));
    const decisions = commands.map((c, i) => {
      const { state, version } = loaded[i]!;
      const events = c.decider.decide(c.command, state);
      return { ...c, state, version, events };
    });
    const writes = decisions.filter((d) => d.events.length > 0);
    const result = () =>
      decisions.map((d) => ({
        streamId: d.streamId,
        state: d.events.reduce(d.decider.evolve, d.state),
        version: d.version + d.events.length,
        appended: d.events.length > 0,
      }));
    if (writes.length === 0) return result();
    const eventsOf = (w: (typeof writes)[number]): NewEvent[] => {
      const k = eventKey(key, w.streamId, w.command.type);
      return w.events.map((e, i) => ({ id: deterministicEventId(k, i), type: e.type, data: e.data }));
    };
    const expectedOf = (w: (typeof writes)[number]) => (w.version === 0 ? 'no_stream' : w.version);
    try {
      const [only] = writes;
      if (writes.length === 1 && only) {
        // one stream to write: its append is atomic on its own (and may share a group commit)
        const r = await store.append(only.streamId, expectedOf(only), eventsOf(only), {
          metadata,
          publish: true,
        });
        // already stored by an earlier try of this command: decide again on fresh state (as the
        // transaction below does when its append meets a stored id)
        if (!r.appended) throw new ConcurrencyError(only.streamId, expectedOf(only), -1);
        return result();
      }
      await withTransaction(pool, async (client) => {
        for (const w of writes) {
          await store.append(w.streamId, expectedOf(w), eventsOf(w), { client, metadata, publish: true });
        }
      });
      return result();
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= MAX_RETRIES) throw err;
      await new Promise((res) => setTimeout(res, Math.random() * 5 * Math.min(attempt + 1, 20)));
    }
  }
}

/** An id for a command that has no idempotency key (then it is not idempotent across calls). */
export const freshId = (): string => randomUUID();
