/**
 * What the store's operations share once createEventStore has resolved its options: the pool and schema,
 * upcasters, the clock, snapshot cadence, how the relay is woken, and the prepared statements' texts.
 */
import type { Pool } from 'pg';
import type { NewEvent, UpcasterRegistry } from './types';

export interface StoreContext {
  pool: Pool;
  schema: string;
  /** the schema as a quoted identifier (quoteSchema) */
  quoted: string;
  upcasters: UpcasterRegistry | undefined;
  /** clock for recorded_at; undefined: the database's statement_timestamp() */
  now: (() => Date) | undefined;
  /** store a snapshot once this many events were folded past the last one; 0 disables */
  snapshotEvery: number;
  /** every append NOTIFYs the relay inside its transaction (else after its commit) */
  notifyInTransaction: boolean;
  /** wakes the relay after a commit that wrote outbox rows (outbox-write.ts) */
  wakeRelay: () => void;
  /** statement texts by prepared-statement name */
  sqlCache: Map<string, string>;
  /**
   * every operation runs in a caller's transaction (transaction-store.ts): a failed append has aborted it,
   * so the failure is reported as a conflict to retry after the savepoint's rollback, never classified on it
   */
  inCallerTransaction?: boolean;
}

/** the schema version an appended event is stored with: its own, else the current one of its upcaster, else 1 */
export const schemaVersionOf = (ctx: StoreContext, e: NewEvent): number =>
  e.schemaVersion ?? ctx.upcasters?.[e.type]?.currentVersion ?? 1;
