/**
 * In-process wake-up of an outbox relay. A worker process usually hosts both the store that appends a
 * schema's events and that schema's active relay, on one pool: then an append that wrote outbox rows wakes the
 * relay directly instead of sending `NOTIFY <schema>_outbox` through Postgres (one statement and one
 * transaction fewer per append). When no relay of this pool and schema leads in this process, the store
 * NOTIFYs as before, so relays in other processes hear it. A relay that loses the lead between the check and
 * the wake-up is covered like a lost NOTIFY: the new leader polls.
 */
import type { Pool } from 'pg';

export interface LocalRelay {
  isLeader(): boolean;
  wake(): void;
}

const relays = new WeakMap<Pool, Map<string, Set<LocalRelay>>>();

/** Registers a relay of (pool, schema); returns the function that unregisters it. */
export function registerLocalRelay(pool: Pool, schema: string, relay: LocalRelay): () => void {
  let bySchema = relays.get(pool);
  if (!bySchema) relays.set(pool, (bySchema = new Map<string, Set<LocalRelay>>()));
  let set = bySchema.get(schema);
  if (!set) bySchema.set(schema, (set = new Set<LocalRelay>()));
  set.add(relay);
  return () => {
    set.delete(relay);
  };
}

/** Wakes the leading relay of (pool, schema) in this process; false when there is none (then NOTIFY). */
export function wakeLocalRelay(pool: Pool, schema: string): boolean {
  for (const r of relays.get(pool)?.get(schema) ?? []) {
    if (r.isLeader()) {
      r.wake();
      return true;
    }
  }
  return false;
}
