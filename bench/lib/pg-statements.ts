/**
 * Exact Postgres counters for the cost section, on the stack's own Postgres:
 * - statements: `pg_stat_statements` (calls per normalised statement, top level only: what clients send,
 *   BEGIN/COMMIT included, not the statements inside SQL functions). The module must be loaded at server
 *   start, so `preloadStatementStats` writes `shared_preload_libraries` into the data directory's
 *   postgresql.auto.conf before the stack starts that Postgres;
 * - WAL-writing commits, WAL records and bytes: `pg_walinspect` over the WAL between two LSNs (a read-only
 *   transaction writes no commit record, so only commits that changed something are counted).
 * Both are exact and immediate, unlike pg_stat_database and pg_stat_wal, which backends flush up to 10 s
 * late. The bench's own queries carry MARK and are left out.
 */
import type { Pool, PoolClient } from 'pg';
import { startEmbeddedPostgres } from '../../src/platform/postgres';

/** a comment in every query of the bench's counters, so they can be told apart from the stack's */
export const MARK = '/* bench-costs */';

/**
 * Initialises the Postgres data directory the stack will start (same directory, same port) and sets
 * `shared_preload_libraries = 'pg_stat_statements'` there with ALTER SYSTEM, then stops it: the stack's
 * start finds an initialised directory and loads the module. pg_stat_statements costs a hash lookup per
 * statement; it tracks top-level statements only.
 */
export async function preloadStatementStats(dataDir: string, port: number): Promise<void> {
  const pg = await startEmbeddedPostgres({ dataDir, port, persistent: true, leaveSignalsToCaller: true });
  const { Client } = await import('pg');
  const client = new Client({ connectionString: pg.url });
  try {
    await client.connect();
    await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  } finally {
    await client.end().catch(() => undefined);
    await pg.stop();
  }
}

/** Creates the extensions; false (and why) when pg_stat_statements is not loaded (then only WAL is counted). */
export async function enableCounters(pool: Pool): Promise<{ ok: true } | { ok: false; why: string }> {
  await pool.query(`${MARK} CREATE EXTENSION IF NOT EXISTS pg_walinspect`);
  const loaded = await pool.query<{ v: string }>(
    `${MARK} SELECT current_setting('shared_preload_libraries') AS v`,
  );
  if (!loaded.rows[0]?.v.includes('pg_stat_statements')) {
    return { ok: false, why: `shared_preload_libraries is '${loaded.rows[0]?.v ?? ''}'` };
  }
  await pool.query(`${MARK} CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
  return { ok: true };
}

export interface PgSnapshot {
  lsn: string;
  /** calls per statement (queryid), top level, this database, the bench's own left out */
  calls: Map<string, { query: string; calls: number }>;
}

export async function pgSnapshot(client: Pool | PoolClient): Promise<PgSnapshot> {
  const s = await client.query<{ queryid: string; query: string; calls: string }>(
    `${MARK} SELECT queryid::text AS queryid, min(query) AS query, sum(calls)::text AS calls
     FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel
       AND query NOT LIKE '%bench-costs%'
     GROUP BY queryid`,
  );
  const l = await client.query<{ lsn: string }>(`${MARK} SELECT pg_current_wal_insert_lsn()::text AS lsn`);
  return {
    lsn: l.rows[0]!.lsn,
    calls: new Map(s.rows.map((r) => [r.queryid, { query: r.query, calls: Number(r.calls) }])),
  };
}

export interface StatementDiff {
  /** queryid → calls between the two snapshots (only statements that ran) */
  calls: Map<string, { query: string; calls: number }>;
}

export function statementDiff(before: PgSnapshot, after: PgSnapshot): StatementDiff {
  const calls = new Map<string, { query: string; calls: number }>();
  for (const [id, a] of after.calls) {
    const n = a.calls - (before.calls.get(id)?.calls ?? 0);
    if (n > 0) calls.set(id, { query: a.query, calls: n });
  }
  return { calls };
}

export interface WalCounts {
  /** commit records: transactions that wrote something */
  commits: number;
  records: number;
  bytes: number;
}

/** Commit records, all records and their bytes in the WAL between two LSNs (pg_walinspect). */
export async function walBetween(client: Pool | PoolClient, from: string, to: string): Promise<WalCounts> {
  const r = await client.query<{ commits: string; records: string; bytes: string | null }>(
    `${MARK} SELECT count(*) FILTER (WHERE resource_manager = 'Transaction' AND record_type LIKE 'COMMIT%')::text AS commits,
            count(*)::text AS records, sum(record_length)::text AS bytes
     FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)`,
    [from, to],
  );
  const row = r.rows[0]!;
  return { commits: Number(row.commits), records: Number(row.records), bytes: Number(row.bytes ?? 0) };
}

/** Messages not yet delivered by the four outbox relays (0: the relays and projections are done). */
export async function undelivered(client: Pool | PoolClient, schemas: readonly string[]): Promise<number> {
  const r = await client.query<{ n: number }>(
    `${MARK} SELECT (${schemas
      .map((s) => `(SELECT count(*) FROM "${s}".outbox WHERE delivered_at IS NULL)`)
      .join(' + ')})::int AS n`,
  );
  return r.rows[0]!.n;
}
