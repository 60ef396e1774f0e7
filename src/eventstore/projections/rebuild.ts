/**
 * Rebuilding a read model from the log in one transaction, while live deliveries go on: they wait on the
 * projection's lock and then de-duplicate against the rebuilt checkpoints.
 */
import type { Pool } from 'pg';
import { toEnvelope, type EventEnvelope } from '../envelope';
import { START_POSITION } from '../read-all';
import { quoteSchema } from '../sql';
import { createEventStore } from '../store';
import type { AllPosition, UpcasterRegistry } from '../types';
import { applyInOrder, PROJECTION_LOCK_CLASS, type Projection } from './projection';

export interface RebuildResult {
  projection: string;
  applied: number;
  checkpoint: AllPosition;
}

/**
 * Rebuilds a read model from the log in one transaction: empties its tables and checkpoints, replays
 * readAll, commits. Readers see the old model until the commit; live deliveries wait on the projection's
 * advisory lock and then de-duplicate against the rebuilt checkpoints. The replay runs until every transaction that started
 * before the rebuild has finished and been read (readAll's horizon passes the starting snapshot's xmax), so
 * an event delivered live just before the rebuild is never lost. Events of one stream that readAll returns
 * out of version order (possible for concurrent 'any' appends) are held until their predecessor is applied.
 */
export async function rebuildProjection(
  pool: Pool,
  schema: string,
  projection: Projection,
  opts: { upcasters?: UpcasterRegistry; batchSize?: number } = {},
): Promise<RebuildResult> {
  const s = quoteSchema(schema);
  const store = createEventStore({ pool, schema, ...(opts.upcasters ? { upcasters: opts.upcasters } : {}) });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // waits for live deliveries in flight; later ones wait for the commit (see applyInOrder)
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      PROJECTION_LOCK_CLASS,
      projection.name,
    ]);
    // taken after the lock: every event a live delivery applied so far is from a transaction below it
    const target = BigInt(
      (await client.query<{ xmax: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax'))
        .rows[0]!.xmax,
    );
    // DELETE, not TRUNCATE: readers keep seeing the old model (MVCC) until the commit
    for (const t of projection.tables) await client.query(`DELETE FROM ${t}`);
    await client.query(`DELETE FROM ${s}.projection_checkpoints WHERE projection = $1`, [projection.name]);
    const versions = new Map<string, number>();
    const held = new Map<string, Map<number, EventEnvelope>>();
    let applied = 0;
    const applyOne = async (env: EventEnvelope) => {
      await applyInOrder(client, schema, projection, env);
      versions.set(env.streamId, env.version);
      applied += 1;
    };
    let next = START_POSITION;
    for (;;) {
      const r = await store.readAll({ after: next, limit: opts.batchSize ?? 1000 });
      next = r.next;
      for (const e of r.events) {
        const env = toEnvelope(e);
        if (!projection.handles(env)) continue;
        const at = versions.get(env.streamId) ?? 0;
        if (env.version <= at) continue;
        if (env.version > at + 1) {
          const h = held.get(env.streamId) ?? new Map<number, EventEnvelope>();
          h.set(env.version, env);
          held.set(env.streamId, h);
          continue;
        }
        await applyOne(env);
        const h = held.get(env.streamId);
        for (let n = h?.get(env.version + 1); h && n; n = h.get(n.version + 1)) {
          h.delete(n.version);
          await applyOne(n);
        }
      }
      if (r.events.length > 0) continue;
      if (BigInt(r.horizon) >= target) break;
      await new Promise((res) => setTimeout(res, 20)); // an older transaction is still running
    }
    const stuck = [...held.values()].reduce((n, h) => n + h.size, 0);
    if (stuck > 0)
      throw new Error(`${projection.name}: ${stuck} events wait for versions missing from the log`);
    await client.query('COMMIT');
    return { projection: projection.name, applied, checkpoint: next };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
