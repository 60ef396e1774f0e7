/**
 * `npm start`: the whole stack on one machine, no Docker.
 *   Postgres   DATABASE_URL, or an embedded Postgres with its data under DATA_DIR/postgres
 *   Temporal   TEMPORAL_ADDRESS, or the Temporal CLI dev server with its SQLite file under DATA_DIR
 *              (Web UI on TEMPORAL_UI_PORT; CustomerId and OrderStatus search attributes registered)
 *   then: migrations, demo data, the carrier, one worker process per task queue, and the API gateway,
 *   each a supervised child process that is restarted if it crashes. Ctrl-C / SIGTERM stops everything.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { type Config, ConfigError, loadConfig, temporalAddress } from '../config';
import { migrate } from '../db/migrate';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes';
import { startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { demoCredentials, seedDemoData } from './seed';
import { Supervisor } from './supervisor';
import { clientConnectionOptions } from './temporal-connection';

const ROOT = path.resolve(__dirname, '..', '..');
const RUNNING_FROM_TS = __filename.endsWith('.ts');
const SERVICES = ['orders', 'inventory', 'payments', 'shipping'] as const;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTemporalCli } = require(path.join(ROOT, 'scripts', 'temporal-cli.js')) as {
  ensureTemporalCli: (opts?: { quietIfCached?: boolean }) => Promise<string>;
};

function say(msg: string): void {
  process.stdout.write(`[start] ${msg}\n`);
}

/** How to run one of our entry points: compiled JS after `npm run build`, or TS through tsx. */
function entry(rel: string): { command: string; args: string[] } {
  if (RUNNING_FROM_TS)
    return { command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'src', `${rel}.ts`)] };
  return { command: process.execPath, args: ['--enable-source-maps', path.join(ROOT, 'dist', `${rel}.js`)] };
}

function jwtSecret(config: Config, dataDir: string): string {
  if (config.authJwtSecret) return config.authJwtSecret;
  const file = path.join(dataDir, 'jwt-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

async function waitForTemporal(config: Config, timeoutMs: number, isAlive: () => boolean): Promise<void> {
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

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
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

const supervisor = new Supervisor();
let postgres: RunningPostgres | undefined;
let stopping = false;

async function main(): Promise<void> {
  const t0 = Date.now();
  const config = loadConfig(process.env);
  const dataDir = path.resolve(ROOT, config.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the API, workers, carrier and Temporal...`);
    await supervisor.stopAll();
    if (postgres) {
      say('stopping Postgres...');
      await postgres.stop().catch((err: unknown) => say(`Postgres stop: ${String(err)}`));
    }
    say('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  supervisor.on('line', (name, line) => {
    if (config.logLevel !== 'silent') process.stdout.write(`${name.padEnd(10)}| ${line}\n`);
  });
  supervisor.on('event', (e) => {
    if (e.type === 'started')
      say(`${e.name} running (pid ${e.pid}${e.restarts ? `, restart #${e.restarts}` : ''})`);
    else if (!stopping)
      say(
        `${e.name} exited (code ${e.code}, signal ${e.signal})` +
          (e.willRestartInMs !== undefined ? `; restarting in ${e.willRestartInMs} ms` : ''),
      );
  });

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
      log: (line) => {
        if (config.logLevel === 'debug' || config.logLevel === 'trace')
          process.stdout.write(`postgres  | ${line}\n`);
      },
    });
    databaseUrl = postgres.url;
  }

  // 2. Temporal
  const temporalEnv: Record<string, string> = {};
  if (!config.temporal.address) {
    const cli = await ensureTemporalCli();
    const address = `127.0.0.1:${config.temporal.devServerPort}`;
    say(`starting the Temporal dev server on ${address} (state in ${path.join(dataDir, 'temporal.db')})...`);
    supervisor.start({
      name: 'temporal',
      command: cli,
      args: [
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
        '--log-level',
        'warn',
      ],
      stopTimeoutMs: 15_000,
    });
    temporalEnv.TEMPORAL_ADDRESS = address;
  }
  const effective = loadConfig({ ...process.env, ...temporalEnv, DATABASE_URL: databaseUrl });
  await waitForTemporal(
    effective,
    60_000,
    () => config.temporal.address !== undefined || supervisor.pid('temporal') !== undefined,
  );

  // 3. Schema and demo data
  const migrated = await migrate(databaseUrl);
  say(`migrations: ${migrated.applied.length} applied, ${migrated.skipped.length} already in place`);
  const secret = jwtSecret(config, dataDir);
  await seedDemoData(databaseUrl);

  // 4. Carrier, workers, API
  const childEnv = {
    ...temporalEnv,
    DATABASE_URL: databaseUrl,
    AUTH_JWT_SECRET: secret,
  };
  supervisor.start({ name: 'carrier', ...entry('carrier/server'), env: childEnv });
  SERVICES.forEach((service, index) => {
    for (let i = 0; i < config.workersPerQueue; i++) {
      supervisor.start({
        name: config.workersPerQueue > 1 ? `${service}-${i + 1}` : service,
        ...entry(`workers/${service}`),
        env: {
          ...childEnv,
          WORKER_METRICS_PORT: String(config.metricsPortBase + index + i * SERVICES.length),
        },
      });
    }
  });
  supervisor.start({ name: 'api', ...entry('api/server'), env: childEnv });

  const apiUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const apiUp = await waitForHttp(`${apiUrl}/health`, 60_000);
  const uiUp = config.temporal.address ? true : await waitForHttp(config.temporal.uiUrl, 30_000);
  const creds = await demoCredentials(secret);
  const lines = [
    '',
    '────────────────────────────────────────────────────────────────────────────',
    ` order-saga is ${apiUp ? 'up' : 'starting (API not answering yet)'} after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    `   API          ${apiUrl}        (OpenAPI: ${apiUrl}/openapi.json)`,
    `   Temporal UI  ${config.temporal.address ? '(external cluster)' : config.temporal.uiUrl}${uiUp ? '' : '  (not answering yet)'}`,
    `   Postgres     ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
    '',
    ' Demo credentials (valid 24 h):',
    ...creds.map((c) => `   export ${c.envName}='${c.token}'   # ${c.description}`),
    '',
    ' Try:',
    `   curl -s -X POST ${apiUrl}/orders -H "Authorization: Bearer $ALICE_TOKEN" \\`,
    `     -H 'Content-Type: application/json' -H "Idempotency-Key: demo-$(date +%s)" \\`,
    `     -d '{"items":[{"sku":"SKU-KEYBOARD","quantity":1}],"shippingAddress":{"name":"Alice","line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}}'`,
    '',
    ' Ctrl-C stops everything; data stays in ' + dataDir,
    '────────────────────────────────────────────────────────────────────────────',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch(async (err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else
    process.stderr.write(
      `[start] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  stopping = true;
  await supervisor.stopAll().catch(() => undefined);
  await postgres?.stop().catch(() => undefined);
  process.exit(1);
});
