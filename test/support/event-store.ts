/**
 * The event store specs' common fixture: a throwaway Postgres (migrated), a pool on it and an event store,
 * started before the file's tests and stopped after them. The spec keeps its own `pool`/`store` variables
 * and gets them through `use`, so its tests read as before.
 */
import { after, before } from 'node:test';
import type { Pool } from 'pg';
import { createPool } from '../../src/db/pool';
import { createEventStore, type EventStoreOptions } from '../../src/eventstore/store';
import type { EventStore } from '../../src/eventstore/types';
import type { Durability } from '../../src/platform/postgres';
import { startTestPostgres } from './stack';

export interface StoreFixture {
  /** the server's connection string (for a second pool or a LISTEN client) */
  url: string;
  pool: Pool;
  store: EventStore;
}

export function eventStoreFixture(
  opts: {
    durability?: Durability;
    poolMax?: number;
    store?: Partial<Omit<EventStoreOptions, 'pool'>>;
    /** runs after the file's tests, before the pool ends (e.g. stopping relays that use it) */
    beforeStop?: () => Promise<void>;
  },
  use: (fixture: StoreFixture) => void,
): void {
  let stop: (() => Promise<void>) | undefined;
  let pool: Pool | undefined;
  before(async () => {
    const pg = await startTestPostgres(opts.durability ? { durability: opts.durability } : {});
    stop = () => pg.stop();
    pool = createPool(pg.url, { max: opts.poolMax ?? 40 });
    const store = createEventStore({ pool, schema: 'orders', snapshotEvery: 10, ...opts.store });
    use({ url: pg.url, pool, store });
  });
  after(async () => {
    await opts.beforeStop?.();
    await pool?.end();
    await stop?.();
  });
}
