/**
 * Postgres work counters of the stack's database (pg_stat_database, pg_stat_wal, pg_stat_user_tables), and
 * their difference per order between two readings.
 */
import type { Pool } from 'pg';
import { round } from './stats';

export interface PgCounters {
  commits: number;
  walRecords: number;
  walBytes: number;
  /** inserts + updates + deletes per table (schema.table) */
  tables: Map<string, number>;
}

export async function pgCounters(pool: Pool): Promise<PgCounters> {
  const r = await pool.query<{ commits: string; wal_records: string; wal_bytes: string }>(
    `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS commits,
            wal_records, wal_bytes FROM pg_stat_wal`,
  );
  const row = r.rows[0]!;
  const t = await pool.query<{ name: string; writes: string }>(
    `SELECT schemaname || '.' || relname AS name, n_tup_ins + n_tup_upd + n_tup_del AS writes FROM pg_stat_user_tables`,
  );
  return {
    commits: Number(row.commits),
    walRecords: Number(row.wal_records),
    walBytes: Number(row.wal_bytes),
    tables: new Map(t.rows.map((x) => [x.name, Number(x.writes)])),
  };
}

/** after − before ÷ orders: commits, WAL records and kB, row writes per table (tables with none left out). */
export function pgPerOrder(before: PgCounters, after: PgCounters, orders: number) {
  return {
    commits: round((after.commits - before.commits) / orders, 1),
    walRecords: round((after.walRecords - before.walRecords) / orders, 1),
    walKb: round((after.walBytes - before.walBytes) / 1024 / orders, 1),
    rowWritesByTable: Object.fromEntries(
      [...after.tables.entries()]
        .map(([name, n]) => [name, round((n - (before.tables.get(name) ?? 0)) / orders, 1)] as const)
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1]),
    ),
  };
}
