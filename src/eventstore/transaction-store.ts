/**
 * An event store bound to one connection that is inside a transaction the caller opened and will end (e.g.
 * with PREPARE TRANSACTION): every read sees the transaction's own writes, every append writes in it, and
 * nothing is committed, sent or NOTIFYed by the store. Postgres refuses to PREPARE a transaction that ran
 * NOTIFY, so this store never wakes the relay; the caller does after the transaction commits (the relay's
 * polling covers a missed wake-up as well). Each append and each nested transaction runs under a
 * savepoint, so a version conflict rolls back only that statement and the one command handler can decide
 * again, as it does on the pool-backed store.
 */
import type { Pool, PoolClient } from 'pg';
import { aggregateStream } from './aggregate-stream';
import { append } from './append';
import type { StoreContext } from './context';
import { readAll } from './read-all';
import { readStream, readStreamVersion } from './read-stream';
import { quoteSchema } from './sql';
import type { EventStore } from './types';

export function createTransactionStore(client: PoolClient, schema: string): EventStore {
  const ctx: StoreContext = {
    // the operations only run queries on ctx.pool; a client in a transaction answers the same calls
    pool: client as unknown as Pool,
    schema,
    quoted: quoteSchema(schema),
    upcasters: undefined,
    now: undefined,
    snapshotEvery: 100,
    notifyInTransaction: false,
    wakeRelay: () => undefined,
    sqlCache: new Map(),
    inCallerTransaction: true,
  };
  let savepoints = 0;
  async function underSavepoint<T>(fn: () => Promise<T>): Promise<T> {
    const name = `es_tx_${++savepoints}`;
    await client.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      await client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }
  return {
    schema,
    // `client` is dropped: an append given a client NOTIFYs inside it, and every append here is in it anyway
    append: (streamId, expected, events, opts = {}) => {
      const { client: _inTheTransactionAnyway, ...rest } = opts;
      return underSavepoint(() => append(ctx, undefined, streamId, expected, events, rest));
    },
    readStream: (streamId, opts) => readStream(ctx, streamId, opts),
    readAll: (opts) => readAll(ctx, opts),
    aggregateStream: (streamId, decider, opts) => aggregateStream(ctx, streamId, decider, opts),
    streamVersion: (streamId) => readStreamVersion(ctx, streamId),
    transaction: (fn) => underSavepoint(() => fn(client)),
  };
}
