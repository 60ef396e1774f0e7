import type { Pool } from 'pg';

/** backends of this database waiting for a lock held by another transaction (a prepared one counts) */
export async function lockWaiters(db: Pool): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return r.rows[0]?.n ?? 0;
}
