/**
 * createEventStore: the Postgres event store of one service schema, composed from one file per operation
 * (append, group commit, read stream, read all, aggregate). How they fit together and why: README.md.
 */
import type { Pool } from 'pg';
import { withTransaction } from '../db/pool';
import { aggregateStream } from './aggregate-stream';
import { append, appendChecked } from './append';
import type { StoreContext } from './context';
import { groupedAppend, type GroupCommitOptions } from './group-commit';
import { afterCommitWake } from './outbox-write';
import { readAll } from './read-all';
import { readStream, readStreamVersion } from './read-stream';
import { quoteSchema } from './sql';
import type { EventStore, UpcasterRegistry } from './types';

export interface EventStoreOptions {
  pool: Pool;
  /** the service's Postgres schema: orders, inventory, payments or shipping */
  schema: string;
  upcasters?: UpcasterRegistry;
  /** store a snapshot once this many events were folded past the last one; default 100; 0 disables */
  snapshotEvery?: number;
  /** clock for recorded_at; default: the database's statement_timestamp() */
  now?: () => Date;
  /**
   * When to NOTIFY the relay of new outbox rows: 'after-commit' (default: one coalesced wake-up after the
   * commit) or 'in-transaction' (every append NOTIFYs inside its transaction, which serialises commits).
   * Appends in a caller's transaction always NOTIFY inside it. README.md ("Outbox") says why.
   */
  notify?: 'after-commit' | 'in-transaction';
  /** group commit of concurrent one-event appends; default { maxInFlight: 2, maxBatch: 100 }; false: off */
  groupCommit?: GroupCommitOptions | false;
}

export function createEventStore(options: EventStoreOptions): EventStore {
  const { pool, schema } = options;
  const ctx: StoreContext = {
    pool,
    schema,
    quoted: quoteSchema(schema),
    upcasters: options.upcasters,
    now: options.now,
    snapshotEvery: options.snapshotEvery ?? 100,
    notifyInTransaction: options.notify === 'in-transaction',
    wakeRelay: afterCommitWake(pool, schema),
    sqlCache: new Map(),
  };
  const group = options.groupCommit ?? {};
  const grouped =
    group === false
      ? undefined
      : groupedAppend(ctx, { maxInFlight: group.maxInFlight ?? 2, maxBatch: group.maxBatch ?? 100 }, (j) =>
          appendChecked(ctx, j.streamId, j.expected, [j.event], j.opts),
        );
  return {
    schema,
    append: (streamId, expected, events, opts) => append(ctx, grouped, streamId, expected, events, opts),
    readStream: (streamId, opts) => readStream(ctx, streamId, opts),
    readAll: (opts) => readAll(ctx, opts),
    aggregateStream: (streamId, decider, opts) => aggregateStream(ctx, streamId, decider, opts),
    streamVersion: (streamId) => readStreamVersion(ctx, streamId),
    transaction: (fn) => withTransaction(pool, fn),
  };
}
