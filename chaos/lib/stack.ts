/**
 * The chaos run's context, built once: its own stack (launchStack: embedded Postgres, Temporal dev server,
 * carrier, four worker processes, API; with `cluster`, the cluster profile: two Temporal server nodes, two
 * workers per queue, two API instances) on free loopback ports below the ephemeral range and a temporary
 * DATA_DIR, a pool and a Temporal client on it, the admin token, the catalog and customers, and the record
 * the scenarios add to. `close()` stops everything it started and removes the data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { mintToken } from '../../src/api/tokens';
import { createPool, type Pool } from '../../src/db/pool';
import { launchStack, waitForHttp, type Stack } from '../../src/platform/stack';
import type { ChaosRecord, ScenarioContext } from '../scenarios/context';
import { checker } from './check';
import { ApiClient } from './http';
import type { ChaosOptions } from './options';
import { OrdersClient, type Customer } from './orders-client';
import { pickPort } from './ports';
import { rng } from './rng';
import { setUp } from './setup';

/** How much longer than launchStack's own 60 s the API may take to answer /health 200 (a loaded machine). */
const API_UP_BOUND_MS = 240_000;

export interface ChaosContext extends ScenarioContext {
  /** processes started again by the supervisor after the stack was up, by name */
  restartsByProcess: Record<string, number>;
  close(): Promise<void>;
}

async function startStack(opts: ChaosOptions, say: (m: string) => void) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-saga-chaos-'));
  fs.chmodSync(dataDir, 0o777);
  // the cluster profile: a second API instance on PORT + 1, two workers per queue (metrics base + 0..7)
  const workers = opts.cluster ? 8 : 4;
  const metricsOffsets = Array.from({ length: workers }, (_, i) => [i, 1000 + i]).flat();
  const over: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: String(await pickPort(opts.cluster ? [0, 1] : [0])),
    HOST: '127.0.0.1',
    EMBEDDED_PG_PORT: String(await pickPort()),
    TEMPORAL_PORT: String(await pickPort()),
    TEMPORAL_UI_PORT: String(await pickPort()),
    CARRIER_PORT: String(await pickPort()),
    KAFKA_PORT: String(await pickPort()),
    KAFKA_CONTROLLER_PORT: String(await pickPort()),
    METRICS_PORT_BASE: String(await pickPort(metricsOffsets)),
    ORDER_CANCELLATION_WINDOW_MS: '1500',
    // the partition scenario's test hook: a 3PC participant is cut off while this file names it
    THREE_PC_PARTITION_FILE: path.join(dataDir, 'three-pc-partition'),
    LOG_LEVEL: 'warn',
    // the cluster profile's own two per queue; one on the dev server
    ...(opts.cluster ? {} : { WORKERS_PER_QUEUE: '1' }),
  };
  const childLog = opts.childLog ? fs.createWriteStream(opts.childLog) : undefined;
  say(`starting the stack (data in ${dataDir})...`);
  const stack: Stack = await launchStack({
    env: {
      ...process.env,
      ...over,
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
      AUTH_JWT_SECRET: undefined,
      ...(opts.cluster ? { WORKERS_PER_QUEUE: undefined } : {}),
    },
    childEnv: over,
    cluster: opts.cluster === true,
    say: (m) => say(`stack: ${m}`),
    seed: true,
    ...(childLog
      ? { onChildLine: (name: string, line: string) => childLog.write(`[${name}] ${line}\n`) }
      : {}),
  });
  const urls = {
    carrier: `http://127.0.0.1:${over.CARRIER_PORT}`,
    // the (first) shipping worker is the fourth of orders, inventory, payments, shipping
    shippingMetrics: `http://127.0.0.1:${Number(over.METRICS_PORT_BASE) + 3}/metrics`,
  };
  const cleanup = async () => {
    await stack.stop();
    childLog?.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { stack, urls, partitionFile: over.THREE_PC_PARTITION_FILE!, cleanup };
}

const emptyRecord = (): ChaosRecord => ({
  faults: [],
  problems: [],
  details: [],
  injected: { workerKills: 0, temporalRestarts: 0, postgresRestarts: 0 },
  recovered: { workers: 0, temporal: 0, postgres: 0 },
  landedMidRun: 0,
  busFaults: {
    injected: { broker: 0, consumers: 0, relay: 0 },
    recovered: { broker: 0, consumers: 0, relay: 0 },
  },
  cancelStatuses: {},
  phases: {},
});

export async function openChaos(opts: ChaosOptions, say: (m: string) => void): Promise<ChaosContext> {
  const { stack, urls, partitionFile, cleanup } = await startStack(opts, say);
  opts.onStack?.(cleanup);
  // every child started before launchStack returned: each later start is a restart by the supervisor
  const restartsByProcess: Record<string, number> = {};
  stack.supervisor.on('event', (e) => {
    if (e.type === 'started') restartsByProcess[e.name] = (restartsByProcess[e.name] ?? 0) + 1;
  });
  let pool: Pool | undefined;
  let connection: Connection | undefined;
  const close = async () => {
    say('stopping the stack...');
    await connection?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await cleanup().catch((err: unknown) => say(`stop: ${String(err)}`));
  };
  try {
    // launchStack waits 60 s for the API's /health; on a loaded machine it can take longer: wait on for
    // the positive marker, with a generous bound
    for (const url of stack.apiUrls)
      if (!stack.apiUp && !(await waitForHttp(`${url}/health`, API_UP_BOUND_MS)))
        throw new Error(`the API at ${url} did not answer /health within ${API_UP_BOUND_MS / 1000} s more`);
    pool = createPool(stack.databaseUrl, { max: 4, applicationName: 'chaos' });
    connection = await Connection.connect({ address: stack.temporalAddress });
    const temporal = new Client({ connection, namespace: stack.config.temporal.namespace });
    const api = new ApiClient(stack.apiUrl);
    const admin = await mintToken(stack.jwtSecret, { sub: 'admin', role: 'admin', ttlSeconds: 4 * 3600 });
    const customer = async (id: string): Promise<Customer> => ({
      id,
      token: await mintToken(stack.jwtSecret, { sub: id, role: 'customer', ttlSeconds: 4 * 3600 }),
    });
    say(`stack up at ${stack.apiUrl}; setting up catalog and customers through the API`);
    const people = await setUp(api, admin, customer);
    const base = {
      opts,
      stack,
      api,
      temporal,
      pool,
      admin,
      people,
      customer,
      // the orders client spreads its requests over every API instance, as a load balancer would
      orders: new OrdersClient(stack.apiUrls.map((u) => new ApiClient(u))),
      random: rng(opts.seed),
      urls,
      partitionFile,
      rec: emptyRecord(),
      say,
    };
    return { ...base, check: checker(base, pool), restartsByProcess, close };
  } catch (err) {
    await close();
    throw err;
  }
}
