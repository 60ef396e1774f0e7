import pg from 'pg';

// Postgres int8 (bigint) columns hold event positions and versions; they fit in a JS number for our
// lifetimes (2^53), so parse them as numbers instead of strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(
  databaseUrl: string,
  /**
   * lockTimeoutMs: every session's lock_timeout (PG_LOCK_TIMEOUT_MS): a statement that waits longer for a
   * lock fails with 55P03 and its connection returns to the pool; unset or 0: wait without limit
   */
  opts: { max?: number; applicationName?: string; lockTimeoutMs?: number } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    ...(opts.lockTimeoutMs ? { lock_timeout: opts.lockTimeoutMs } : {}),
    application_name: opts.applicationName ?? 'order-saga',
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
  });
  // An idle client's error (e.g. Postgres restarted) must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn in a transaction on a pooled client; rolls back on any error. */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
