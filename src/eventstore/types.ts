/**
 * The event store's contract: what services, workers and the API see. createEventStore (./store.ts) composes
 * it from one file per operation; src/eventstore/README.md explains the guarantees.
 */
import type { PoolClient } from 'pg';
import type { Decider } from '../domain/decider';

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

/**
 * Checkpoint of a reader of all streams (readAll). Events are read in (transactionId, position) order and
 * only from transactions below the reader's snapshot xmin, so nothing can later appear before a checkpoint.
 * transactionId is a Postgres xid8 as a decimal string; START_POSITION reads from the beginning.
 */
export interface AllPosition {
  transactionId: string;
  position: number;
}

export interface ReadAllOptions {
  /** exclusive; default: the beginning */
  after?: AllPosition;
  /** default 1000 */
  limit?: number;
}

export interface ReadAllResult {
  events: (StoredEvent & { transactionId: string })[];
  /** the checkpoint after the last returned event (`after` unchanged when none) */
  next: AllPosition;
  /** the snapshot xmin the read used: every transaction below it is finished and was read (up to limit) */
  horizon: string;
}

/** Upcasts an event type's older `data` to its current schema version on read. */
export interface EventUpcaster {
  currentVersion: number;
  /** data stored at schema version `fromVersion` → data at `currentVersion` */
  upcast: (fromVersion: number, data: unknown) => unknown;
}
export type UpcasterRegistry = Record<string, EventUpcaster>;

/** How to store an aggregate's state in a snapshot; default: JSON with snapshot schema version 1. */
export interface SnapshotCodec<S> {
  /** bump when evolve or the state shape changes: older snapshots are then ignored */
  version: number;
  serialize: (state: S) => unknown;
  deserialize: (json: unknown) => S;
}

export interface AggregateStreamOptions<S = unknown> {
  /** state as of this instant (no snapshots used) */
  asOf?: Date;
  /** state at this version (no snapshots used) */
  toVersion?: number;
  snapshot?: SnapshotCodec<S>;
}

export interface AggregateStreamResult<S> {
  state: S;
  /** stream version the state reflects (0: no events) */
  version: number;
  /** version of the snapshot the fold started from (0: full replay) */
  snapshotVersion: number;
}

/** Some, but not all, event ids of an append already exist (or exist in another stream): not a retry. */
export class EventIdConflictError extends Error {
  override name = 'EventIdConflictError';
  constructor(
    readonly streamId: string,
    readonly existingIds: string[],
  ) {
    super(`Stream ${streamId}: event ids already stored as other events: ${existingIds.join(', ')}`);
  }
}

export interface EventStore {
  readonly schema: string;
  /**
   * Appends atomically. Also honours `publish` (AppendOptionsExtra): mirror each stored event to the outbox
   * as an EventEnvelope (see ./envelope.ts).
   */
  append(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: NewEvent[],
    opts?: AppendOptions & AppendOptionsExtra,
  ): Promise<AppendResult>;
  readStream(streamId: string, opts?: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(opts?: ReadAllOptions): Promise<ReadAllResult>;
  aggregateStream<C, E extends { type: string }, S>(
    streamId: string,
    decider: Decider<C, E, S>,
    opts?: AggregateStreamOptions<S>,
  ): Promise<AggregateStreamResult<S>>;
  /** current version of a stream (0 when it does not exist) */
  streamVersion(streamId: string): Promise<number>;
  /** runs fn in one transaction on the store's pool: appends given its client commit or roll back together */
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

export interface AppendOptionsExtra {
  /** mirror every appended event to the outbox (topic `<schema>.<type>`, payload an EventEnvelope) */
  publish?: boolean;
}
