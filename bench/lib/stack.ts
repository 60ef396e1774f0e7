/**
 * The bench's context, built once: its own stack (launchStack: embedded Postgres, the Temporal CLI dev server
 * with a persistent SQLite file and a second namespace `bench`, carrier, the four production worker
 * processes, the API) on free ports and a temp DATA_DIR, Temporal clients for both namespaces, the admin
 * token, the seed data, the bench-only workers and a relay of the order read models in this process.
 * `close()` stops everything it started (and what sections registered with `onClose`).
 */
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { createPool } from '../../src/db/pool';
import { projectionsSubscriber, startOutboxRelay } from '../../src/eventstore';
import { ORDER_PROJECTIONS } from '../../src/services/orders/read-models';
import { isolatedStackEnv, launchStack, waitForHttp, type Stack } from '../../src/platform/stack';
import { BENCH_NAMESPACE, ensureSearchAttributes, startBenchWorkers } from './bench-workers';
import type { BenchContext, BenchSetup } from './context';
import { CUSTOMERS, seedBenchData } from './seed';
import { createWorkloads } from './workloads';

/** Starts the stack with the bench's environment; children inherit process.env, so it is set there. */
async function startStack(setup: BenchSetup): Promise<{ stack: Stack; childLog: string[] }> {
  const stackEnv: Record<string, string> = {
    ...(await isolatedStackEnv('bench')),
    ORDER_CANCELLATION_WINDOW_MS: '0',
    CARRIER_FAILURE_RATE: '0',
    CARRIER_LATENCY_MS: '0',
    LOG_LEVEL: setup.knobs.logLevel,
  };
  // the bench is its own process, so this is where the stack's env lives
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  delete process.env.CARRIER_URL;
  delete process.env.WORKER_METRICS_URLS;
  Object.assign(process.env, stackEnv);
  setup.say(`starting the stack (DATA_DIR ${stackEnv.DATA_DIR})`);
  const childLog: string[] = [];
  const stack = await launchStack({
    env: process.env,
    say: (m) => setup.say(`  ${m}`),
    onChildLine: (name, line) => {
      childLog.push(`${name}: ${line}`);
      if (childLog.length > 200) childLog.shift();
      if (setup.knobs.verbose) console.log(`  [${name}] ${line}`);
    },
    temporalExtraArgs: ['--namespace', BENCH_NAMESPACE, ...setup.knobs.temporalArgs],
  });
  return { stack, childLog };
}

/** Opt-in experiments on the stack's Postgres (BENCH_PG_SETTINGS; reloadable settings only). */
async function applyPgSettings(setup: BenchSetup, pool: Pool): Promise<void> {
  for (const [name, value] of setup.knobs.pgSettings) {
    await pool.query(`ALTER SYSTEM SET ${name} = '${value.replace(/'/g, "''")}'`);
    await pool.query('SELECT pg_reload_conf()');
    setup.say(`Postgres: ${name} = ${value} (BENCH_PG_SETTINGS)`);
  }
}

export async function openBench(setup: BenchSetup): Promise<BenchContext & { close(): Promise<void> }> {
  const { stack, childLog } = await startStack(setup);
  const cleanups: (() => Promise<void>)[] = [];
  const pool = createPool(stack.databaseUrl, { max: 4, applicationName: 'bench' });
  let connection: Connection | undefined;
  const close = async () => {
    setup.say('stopping');
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await stack.stop();
    fs.rmSync(stack.dataDir, { recursive: true, force: true });
  };
  try {
    connection = await Connection.connect({ address: stack.temporalAddress });
    // launchStack waits 60 s for /health; on a loaded machine the API can take longer: wait on, bounded
    if (!stack.apiUp && !(await waitForHttp(`${stack.apiUrl}/health`, 240_000)))
      throw new Error(`the API did not come up:\n${childLog.slice(-30).join('\n')}`);
    const client = new Client({ connection, namespace: stack.config.temporal.namespace });
    const benchClient = new Client({ connection, namespace: BENCH_NAMESPACE });
    await applyPgSettings(setup, pool);
    const creds = await stack.credentials();
    const adminToken = creds.find((c) => c.envName === 'ADMIN_TOKEN')!.token;
    setup.say(
      `stack up: API ${stack.apiUrl}, Temporal ${stack.temporalAddress}; seeding ${CUSTOMERS} SKUs/customers`,
    );
    // the bench workers start while the seed data is written
    await ensureSearchAttributes(connection, BENCH_NAMESPACE);
    setup.say('starting the bench-only workers (namespace bench; bare workflow + stubbed saga)');
    const workersStarting = startBenchWorkers(stack, {});
    workersStarting.catch(() => undefined); // awaited below
    await seedBenchData(stack, adminToken);
    const benchWorkers = await workersStarting;
    cleanups.push(() => benchWorkers.stop());
    // a relay of the order read models in this process: a standby if the stack runs one (advisory lock)
    const relay = startOutboxRelay({
      pool,
      schema: 'orders',
      subscribers: [projectionsSubscriber('orders', ORDER_PROJECTIONS)],
    });
    cleanups.push(() => relay.stop());
    return {
      ...setup,
      stack,
      pool,
      connection,
      client,
      benchClient,
      adminToken,
      relay,
      benchWorkers,
      load: createWorkloads({ stack, adminToken, client, benchClient }),
      onClose: (fn) => cleanups.push(fn),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
