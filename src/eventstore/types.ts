/**
 * The event store contract every service uses. Implementation: ./store.ts (createEventStore).
 * Each service has the same tables in its own Postgres schema (orders, inventory, payments, shipping).
 */
import type { PoolClient } from 'pg';

/** Who/what caused an event: follows one order from HTTP to the last event. */
export interface EventMetadata {
  /** the order id the event belongs to (or the command's own id outside a saga) */
  correlationId?: string;
  /** id of the event, request or activity that caused this one */
  causationId?: string;
  /** HTTP request id from the gateway */
  requestId?: string;
  workflowId?: string;
  workflowRunId?: string;
  activityId?: string;
  activityType?: string;
  /** idempotency key of the step that wrote the event (workflowId/step) */
  idempotencyKey?: string;
}

export interface NewEvent<T extends string = string, D = unknown> {
  /** uuid; pass a deterministic one (deterministicEventId) to make retried appends no-ops */
  id?: string;
  type: T;
  data: D;
  /** schema version of `data`; defaults to the current version registered for `type` (1) */
  schemaVersion?: number;
}

export interface StoredEvent<T extends string = string, D = unknown> {
  globalPosition: number;
  streamId: string;
  version: number;
  id: string;
  type: T;
  schemaVersion: number;
  data: D;
  metadata: EventMetadata;
  recordedAt: Date;
}

/** An integration event to publish through the outbox, written in the append's transaction. */
export interface OutboxMessage {
  /** uuid; subscribers de-duplicate by it */
  id: string;
  /** e.g. 'orders.OrderPlaced' */
  topic: string;
  /** ordering key: messages with the same key are delivered in order (the stream id) */
  aggregateId: string;
  payload: unknown;
  metadata?: EventMetadata;
}

export type ExpectedVersion = number | 'any' | 'no_stream';

export interface AppendResult {
  /** false when every event id was already stored (an idempotent retry): nothing was written */
  appended: boolean;
  /** stream version after the append (the existing version for a no-op) */
  nextVersion: number;
  events: StoredEvent[];
}

export interface AppendOptions {
  metadata?: EventMetadata;
  /** integration events to write in the same transaction; default: none */
  outbox?: OutboxMessage[];
  /** run inside the caller's transaction instead of opening one */
  client?: PoolClient;
}

export interface ReadStreamOptions {
  fromVersion?: number;
  toVersion?: number;
  /** only events recorded at or before this instant */
  asOf?: Date;
}

export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream ${streamId}: expected version ${String(expected)}, actual ${actual}`);
  }
}

/** A pure decider: the shape every aggregate in src/domain exports. */
export interface Decider<C, E extends { type: string }, S> {
  initialState: () => S;
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: E) => S;
}
