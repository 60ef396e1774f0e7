/**
 * The outbox relay's contract (subscribers, options, stats, the running relay) and the state its parts
 * share: election (relay-election.ts), batches (relay-batch.ts) and the loop (relay-loop.ts).
 */
import type pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import type { EventMetadata } from './types';

export interface OutboxDelivery {
  id: string;
  topic: string;
  aggregateId: string;
  payload: unknown;
  metadata: EventMetadata;
  position: number;
  /** failed deliveries before this one */
  attempts: number;
  createdAt: Date;
}

/**
 * A subscriber has one of two handlers:
 * - `handle`: at least once (e.g. a call to another system); runs before the message is marked delivered, so
 *   a crash in between delivers it again;
 * - `handleInTransaction`: for writes to this database (read models): runs in one transaction with the
 *   relay's "delivered" mark of that message, so its writes and the mark commit together (no redelivery of a
 *   message whose writes committed, one commit per message). Such a subscriber may also offer
 *   `statementFor`: the same writes as one SQL statement, which the relay then runs together with the mark
 *   as one statement (one round trip, no BEGIN/COMMIT) when it is the message's only transactional work.
 */
export type OutboxSubscriber = {
  /** stable name: de-duplication records are keyed by it */
  name: string;
  /** default: every topic */
  accepts?: (topic: string) => boolean;
} & (
  | {
      handle: (message: OutboxDelivery) => Promise<void>;
      handleInTransaction?: undefined;
      statementFor?: undefined;
    }
  | {
      handleInTransaction: (client: PoolClient, message: OutboxDelivery) => Promise<void>;
      /**
       * the effect of handleInTransaction as one statement: a query that returns rows (e.g. `SELECT f($1)`,
       * its result is ignored); null when the message needs no writes; undefined to use handleInTransaction
       */
      statementFor?: (message: OutboxDelivery) => SqlStatement | null | undefined;
      handle?: undefined;
    }
);

/** A parameterised statement; `name` makes it a prepared statement (its text must then never change). */
export interface SqlStatement {
  name?: string;
  text: string;
  values: unknown[];
}

export interface RelayLog {
  info: (obj: object, msg?: string) => void;
  warn: (obj: object, msg?: string) => void;
  error: (obj: object, msg?: string) => void;
}

export interface OutboxRelayOptions {
  pool: Pool;
  schema: string;
  subscribers: OutboxSubscriber[];
  /** polling fallback when no NOTIFY arrives; default 1000 */
  pollIntervalMs?: number;
  /** aggregates per batch; default 100 */
  batchSize?: number;
  /** messages taken per aggregate in one batch; default 50 */
  perAggregate?: number;
  /** aggregates delivered in parallel; default 4 */
  concurrency?: number;
  /** first retry delay, doubled per attempt up to maxBackoffMs; defaults 200 and 60000 */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** how often a standby retries the election; default pollIntervalMs */
  standbyRetryMs?: number;
  /** delivered rows older than this are deleted by the active relay; default 7 days; 0 keeps them */
  retentionMs?: number;
  log?: RelayLog;
}

export interface RelayStats {
  leader: boolean;
  /** election attempts that ended, won or lost (a standby tries again every standbyRetryMs) */
  elections: number;
  delivered: number;
  failedAttempts: number;
  batches: number;
  lastError?: string;
  lastDeliveredAt?: Date;
}

export interface OutboxRelay {
  /** graceful: finishes the current batch, releases leadership */
  stop(): Promise<void>;
  /** simulates a crash: no further writes, the dedicated connection is destroyed at once */
  abort(): void;
  stats(): RelayStats;
}

/** The relay's options with their defaults applied, and the state its parts share. */
export interface RelayContext {
  pool: Pool;
  schema: string;
  /** the schema as a quoted identifier */
  quoted: string;
  subscribers: OutboxSubscriber[];
  log: RelayLog;
  pollMs: number;
  standbyMs: number;
  batchSize: number;
  perAggregate: number;
  concurrency: number;
  backoffMs: number;
  maxBackoffMs: number;
  retentionMs: number;
  stats: RelayStats;
  /** stop() was called: finish the batch, then leave */
  stopping: boolean;
  /** abort() was called (a simulated crash): write nothing more */
  aborted: boolean;
  /** the leader's dedicated connection, which holds the advisory lock and LISTENs */
  leaderClient: pg.Client | undefined;
  /** wakes the loop (a NOTIFY, an in-process append, the leader connection lost, stop) */
  wakeUp: () => void;
}
