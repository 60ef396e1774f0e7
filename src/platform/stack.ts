/**
 * Launches the whole stack on one machine: Postgres (DATABASE_URL or embedded), Temporal (TEMPORAL_ADDRESS
 * or the CLI dev server with a persistent SQLite file), Kafka (KAFKA_BROKERS or a single-node KRaft broker
 * with its data under DATA_DIR) and its topics, migrations, demo data, the carrier, one worker process per
 * task queue and the API, each a supervised child. Used by `npm start` (src/platform/start.ts)
 * and by tools that need the real stack and control over it (benchmarks, the chaos suite, the browser test).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { type Config, kafkaBrokers, loadConfig, temporalAddress } from '../config';
import { migrate } from '../db/migrate';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes';
import os from 'node:os';
import { busReady, startSupervisedKafka } from './kafka';
import { freePort, startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { demoCredentials, seedDemoData, type DemoCredential } from './seed';
import { Supervisor } from './supervisor';
import { startClusterForStack, type TemporalCluster } from './temporal-cluster';
import { TOPOLOGY } from './temporal-cluster-topology';
import { clientConnectionOptions } from './temporal-connection';

export const ROOT = path.resolve(__dirname, '..', '..');
const RUNNING_FROM_TS = __filename.endsWith('.ts');
export { SERVICES } from '../domain/ids';
import { SERVICES } from '../domain/ids';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTemporalCli } = require(path.join(ROOT, 'scripts', 'temporal-cli.js')) as {
  ensureTemporalCli: (opts?: { quietIfCached?: boolean }) => Promise<string>;
};

/** How to run one of our entry points: compiled JS after `npm run build`, or TS through tsx. */
export function entry(rel: string): { command: string; args: string[] } {
  if (RUNNING_FROM_TS) {
    return { command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'src', `${rel}.ts`)] };
  }
  return { command: process.execPath, args: ['--enable-source-maps', path.join(ROOT, 'dist', `${rel}.js`)] };
}

export interface StackOptions {
  /** environment the stack is configured from (default process.env) */
  env?: Record<string, string | undefined>;
  /** progress lines ("[start] …") */
  say?: (msg: string) => void;
  /** children's log lines */
  onChildLine?: (name: string, line: string) => void;
  /** seed the demo catalog and customers (default true) */
  seed?: boolean;
  /** extra env for every child (e.g. worker tuning in benchmarks) */
  childEnv?: Record<string, string>;
  /** extra dev-server flags (benchmarks: SQLite pragmas, dynamic config) */
  temporalExtraArgs?: string[];
  /**
   * the cluster profile (`npm start -- --cluster`): a Temporal cluster of real server nodes on the stack's
   * Postgres instead of the dev server, two workers per task queue, two API instances (temporal-cluster.ts)
   */
  cluster?: boolean;
  /** namespaces the cluster profile registers besides TEMPORAL_NAMESPACE (the bench's) */
  extraNamespaces?: string[];
}

export interface Stack {
  config: Config;
  apiUrl: string;
  uiUrl: string | undefined;
  databaseUrl: string;
  temporalAddress: string;
  /** bootstrap brokers of the bus (the started broker, or KAFKA_BROKERS); none when BUS_ENABLED=false */
  kafkaBrokers: string[];
  /** whether the stack started the broker (a supervised child named `kafka`) */
  kafkaEmbedded: boolean;
  jwtSecret: string;
  dataDir: string;
  supervisor: Supervisor;
  postgres: RunningPostgres | undefined;
  apiUp: boolean;
  uiUp: boolean;
  credentials(): Promise<DemoCredential[]>;
  /** the dev-server flags used (recorded by benchmarks) */
  temporalArgs: string[];
  /** the cluster profile's Temporal nodes (crash/stop/start each) and frontend address */
  cluster: TemporalCluster | undefined;
  /** every API instance (apiUrl is the first); the cluster profile runs two on consecutive ports */
  apiUrls: string[];
  stop(): Promise<void>;
}

function jwtSecretFor(config: Config, dataDir: string): string {
  if (config.authJwtSecret) return config.authJwtSecret;
  const file = path.join(dataDir, 'jwt-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/**
 * How long the stack waits for Temporal and the API to answer: an upper bound, not a pause (each wait returns
 * as soon as the service answers). A few seconds on a quiet machine; generous because a loaded 2-core host
 * (a CI runner, or several suites at once) was seen to need over a minute.
 */
const READY_TIMEOUT_MS = 180_000;

export async function waitForTemporal(
  config: Config,
  timeoutMs: number,
  isAlive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isAlive())
      throw new Error('the Temporal dev server exited during start-up (see its log lines above)');
    try {
      const conn = await Connection.connect({ ...clientConnectionOptions(config), connectTimeout: 2000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: config.temporal.namespace });
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(
    `Temporal at ${temporalAddress(config)} not ready after ${timeoutMs} ms: ${String(lastError)}`,
  );
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

export function temporalDevServerArgs(config: Config, dataDir: string, extra: string[] = []): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(config.temporal.devServerPort),
    '--ui-port',
    String(config.temporal.uiPort),
    '--namespace',
    config.temporal.namespace,
    '--db-filename',
    path.join(dataDir, 'temporal.db'),
    // WAL + synchronous=NORMAL: durable across process crashes, far fewer fsyncs than the default
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...SEARCH_ATTRIBUTE_FLAGS,
    // One partition per task queue: with one worker process per queue on one machine, more partitions
    // only make sync matches miss and add latency (measured by the benchmark, bench/README.md).
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    // The history service reads its transfer task queue (activity and workflow tasks on their way to matching)
    // at most 20 times a second per shard by default, and the dev server has one shard: every workflow step
    // waited for the next read. A 9-activity workflow run right after another took ~950 ms; with 50 reads a
    // second 180–420 ms, with 200 ~200 ms but ~20 % less throughput at saturation (more, smaller reads of the
    // SQLite file). Measured in bench/README.md.
    '--dynamic-config-value',
    'history.transferProcessorMaxPollRPS=50',
    '--log-level',
    'warn',
    ...extra,
  ];
}

/**
 * Environment for a stack of its own beside anything else on the machine (tests, benchmarks, chaos): a
 * fresh temporary DATA_DIR and free loopback ports. The worker metrics base stays below 55000 so that
 * base + 1000 (the SDK exporter) and the consecutive worker ports stay clear of the ephemeral range.
 */
export async function isolatedStackEnv(prefix: string): Promise<Record<string, string>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `order-saga-${prefix}-`));
  fs.chmodSync(dataDir, 0o777); // embedded Postgres runs as another user when we are root
  let metricsBase = await freePort();
  if (metricsBase > 55000) metricsBase = 40000 + (metricsBase % 10000);
  return {
    DATA_DIR: dataDir,
    PORT: String(await freePortPair()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
    CARRIER_PORT: String(await freePort()),
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
    METRICS_PORT_BASE: String(metricsBase),
  };
}

/** A free port whose successor is free too (the cluster profile's second API instance listens there). */
async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const srv = net.createServer().once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  for (;;) {
    const port = await freePort();
    if (await free(port + 1)) return port;
  }
}

/**
 * Starts `workersPerQueue` worker processes per task queue (metrics on consecutive ports from
 * METRICS_PORT_BASE) and `apiInstances` API processes on consecutive ports from PORT; returns the API URLs.
 */
function startWorkersAndApis(
  supervisor: Supervisor,
  config: Config,
  childEnv: Record<string, string | undefined>,
  { workersPerQueue, apiInstances }: { workersPerQueue: number; apiInstances: number },
): string[] {
  SERVICES.forEach((service, index) => {
    for (let i = 0; i < workersPerQueue; i++) {
      supervisor.start({
        name: workersPerQueue > 1 ? `${service}-${i + 1}` : service,
        ...entry(`workers/${service}`),
        env: {
          ...childEnv,
          WORKER_METRICS_PORT: String(config.metricsPortBase + index + i * SERVICES.length),
        },
      });
    }
  });
  const metricsUrls = SERVICES.flatMap((_, index) =>
    Array.from(
      { length: workersPerQueue },
      (_unused, i) => `http://127.0.0.1:${config.metricsPortBase + index + i * SERVICES.length}/metrics`,
    ),
  );
  const apiHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const apiUrls: string[] = [];
  for (let i = 0; i < apiInstances; i++) {
    supervisor.start({
      name: i === 0 ? 'api' : `api-${i + 1}`,
      ...entry('api/server'),
      env: { WORKER_METRICS_URLS: metricsUrls.join(','), ...childEnv, PORT: String(config.port + i) },
    });
    apiUrls.push(`http://${apiHost}:${config.port + i}`);
  }
  return apiUrls;
}

export async function launchStack(opts: StackOptions = {}): Promise<Stack> {
  const env = opts.env ?? process.env;
  const say = opts.say ?? (() => undefined);
  const config = loadConfig(env);
  const dataDir = path.resolve(ROOT, config.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const supervisor = new Supervisor();
  if (opts.onChildLine) supervisor.on('line', opts.onChildLine);
  let postgres: RunningPostgres | undefined;
  let temporalArgs: string[] = [];
  let cluster: TemporalCluster | undefined;

  const stop = async () => {
    await supervisor.stopAll();
    await cluster?.close();
    await postgres?.stop().catch((err: unknown) => say(`Postgres stop: ${String(err)}`));
  };

  try {
    // 1. Postgres
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      say(
        `starting embedded Postgres (data in ${path.join(dataDir, 'postgres')}, port ${config.embeddedPgPort})...`,
      );
      postgres = await startEmbeddedPostgres({
        dataDir: path.join(dataDir, 'postgres'),
        port: config.embeddedPgPort,
        persistent: true,
        leaveSignalsToCaller: true,
        log: (line) => opts.onChildLine?.('postgres', line),
      });
      databaseUrl = postgres.url;
    }

    // 2. Temporal
    const temporalEnv: Record<string, string> = {};
    if (opts.cluster) {
      const pgUrl = postgres?.tcpUrl ?? databaseUrl;
      cluster = await startClusterForStack(config, supervisor, { ...opts, pgUrl, dataDir, say });
      temporalEnv.TEMPORAL_ADDRESS = cluster.address;
    } else if (!config.temporal.address) {
      const cli = await ensureTemporalCli();
      const address = `127.0.0.1:${config.temporal.devServerPort}`;
      say(
        `starting the Temporal dev server on ${address} (state in ${path.join(dataDir, 'temporal.db')})...`,
      );
      temporalArgs = temporalDevServerArgs(config, dataDir, opts.temporalExtraArgs);
      supervisor.start({ name: 'temporal', command: cli, args: temporalArgs, stopTimeoutMs: 15_000 });
      temporalEnv.TEMPORAL_ADDRESS = address;
    }
    // 3. Kafka (the JVM starts while Temporal does); none when BUS_ENABLED=false
    const busOn = config.kafka.enabled;
    const kafkaEnv = busOn ? await startSupervisedKafka(config, dataDir, supervisor, say) : {};
    const effective = loadConfig({ ...env, ...temporalEnv, ...kafkaEnv, DATABASE_URL: databaseUrl });
    await waitForTemporal(
      effective,
      READY_TIMEOUT_MS,
      () => temporalArgs.length === 0 || supervisor.pid('temporal') !== undefined, // a dev server to watch
    );
    const brokers = await busReady(config, kafkaBrokers(effective), supervisor, say);

    // 4. Schema and demo data
    const migrated = await migrate(databaseUrl);
    say(`migrations: ${migrated.applied.length} applied, ${migrated.skipped.length} already in place`);
    const jwtSecret = jwtSecretFor(config, dataDir);
    if (opts.seed !== false) await seedDemoData(databaseUrl);

    // 5. Carrier, workers, API
    // Children inherit process.env (the supervisor's default) overlaid with the stack's own env, so a
    // caller that configures the stack through `env` (ports, tuning) configures every child the same way.
    const childEnv: Record<string, string | undefined> = {
      ...opts.env,
      ...temporalEnv,
      ...kafkaEnv,
      DATABASE_URL: databaseUrl,
      AUTH_JWT_SECRET: jwtSecret,
      ...opts.childEnv,
    };
    supervisor.start({ name: 'carrier', ...entry('carrier/server'), env: childEnv });
    // the cluster profile runs two of each unless WORKERS_PER_QUEUE says otherwise (the bench: 1, 2, 4)
    const apiUrls = startWorkersAndApis(supervisor, config, childEnv, {
      workersPerQueue: cluster && !env.WORKERS_PER_QUEUE ? TOPOLOGY.workersPerQueue : config.workersPerQueue,
      apiInstances: cluster ? TOPOLOGY.apiInstances : 1,
    });

    const apiUrl = apiUrls[0]!;
    const apiUp = (await Promise.all(apiUrls.map((u) => waitForHttp(`${u}/health`, READY_TIMEOUT_MS)))).every(
      Boolean,
    );
    const uiUrl = cluster?.uiUrl ?? (config.temporal.address ? undefined : config.temporal.uiUrl);
    const uiUp = uiUrl ? await waitForHttp(uiUrl, 30_000) : true;
    return {
      config,
      apiUrl,
      uiUrl,
      databaseUrl,
      temporalAddress: temporalAddress(effective),
      kafkaBrokers: brokers,
      kafkaEmbedded: busOn && !config.kafka.brokers,
      jwtSecret,
      dataDir,
      supervisor,
      get postgres() {
        return postgres;
      },
      apiUp,
      uiUp,
      credentials: () => demoCredentials(jwtSecret),
      temporalArgs,
      cluster,
      apiUrls,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
