/**
 * The one configuration module. Every setting the system reads from the environment is declared here,
 * with its default and a description (the README's configuration table is generated from the same list:
 * `npm run config:docs`). Only composition roots (src/workers/*, src/api/server.ts, src/platform/*) call
 * `loadConfig(process.env)`; everything else receives the typed values it needs.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable}: ${message}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormatSetting = (typeof LOG_FORMATS)[number];
export const DEFAULT_SHIPPING_COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'SE', 'JP', 'AU'];

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const port = () => int(1, 65535);
const rate = () =>
  z
    .string()
    .trim()
    .regex(/^\d*\.?\d+$/, 'must be a number between 0 and 1')
    .transform(Number)
    .pipe(z.number().min(0).max(1));
const bool = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = () =>
  z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

interface VarSpec<T> {
  schema: z.ZodType<T, string>;
  default?: string;
  doc: string;
}
function v<T>(schema: z.ZodType<T, string>, doc: string): VarSpec<T>;
function v<T>(schema: z.ZodType<T, string>, doc: string, def: string): VarSpec<T> & { default: string };
function v<T>(schema: z.ZodType<T, string>, doc: string, def?: string): VarSpec<T> {
  return def === undefined ? { schema, doc } : { schema, doc, default: def };
}

/** Every environment variable, its parser, default and documentation. */
export const VARIABLES = {
  LOG_LEVEL: v(
    z.enum(LOG_LEVELS),
    'Log level of every process (pino): fatal, error, warn, info, debug, trace, silent.',
    'info',
  ),
  LOG_FORMAT: v(
    z.enum(LOG_FORMATS),
    "`npm start` only: how it prints its processes' log lines. `pretty`: one readable line each (time, process, level, message, and orderId, workflowId, the request or err when present); `json`: each process's pino JSON lines unchanged, as log shippers expect; `auto`: pretty when stdout is a terminal, JSON otherwise. A process run on its own always writes JSON.",
    'auto',
  ),
  PORT: v(port(), 'HTTP port of the API gateway.', '3000'),
  HOST: v(
    z.string().min(1),
    'Interface the API gateway, the carrier and worker metrics listen on.',
    '127.0.0.1',
  ),
  DATA_DIR: v(
    z.string().min(1),
    '`npm start` only: where the embedded Postgres and the Temporal dev server keep their data.',
    '.data',
  ),
  DATABASE_URL: v(
    z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
    "Postgres connection URL (`?host=/dir` for a Unix socket). Unset under `npm start`: an embedded Postgres is started with its data under DATA_DIR; the stack's processes connect through its Unix socket in that directory, people and tools through 127.0.0.1:EMBEDDED_PG_PORT. Required for a process run on its own.",
  ),
  EMBEDDED_PG_PORT: v(
    port(),
    '`npm start` only: port of the embedded Postgres when DATABASE_URL is unset.',
    '54329',
  ),
  PG_POOL_MAX: v(int(1, 200), "Maximum connections in each process's Postgres pool.", '10'),
  TEMPORAL_ADDRESS: v(
    z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port'),
    'Temporal frontend host:port. Unset under `npm start`: the Temporal CLI dev server is started (UI on TEMPORAL_UI_PORT). A process run on its own defaults to 127.0.0.1:7233.',
  ),
  TEMPORAL_PORT: v(
    port(),
    '`npm start` only: gRPC port of the dev server it starts when TEMPORAL_ADDRESS is unset.',
    '7233',
  ),
  TEMPORAL_NAMESPACE: v(z.string().min(1), 'Temporal namespace.', 'default'),
  TEMPORAL_UI_PORT: v(
    port(),
    "Port of the dev server's Web UI (started by `npm start` when TEMPORAL_ADDRESS is unset).",
    '8233',
  ),
  TEMPORAL_UI_URL: v(
    z.url(),
    'Web UI base URL printed and linked for operators. Defaults to http://127.0.0.1:TEMPORAL_UI_PORT.',
  ),
  TEMPORAL_TLS: v(
    bool(),
    'Use TLS to reach Temporal (implied by TEMPORAL_API_KEY or a client certificate).',
    'false',
  ),
  TEMPORAL_TLS_CERT_PATH: v(
    z.string().min(1),
    'mTLS client certificate (PEM) for a remote Temporal cluster.',
  ),
  TEMPORAL_TLS_KEY_PATH: v(z.string().min(1), 'mTLS client private key (PEM).'),
  TEMPORAL_TLS_CA_PATH: v(
    z.string().min(1),
    'CA certificate (PEM) to verify the server, if not a public CA.',
  ),
  TEMPORAL_TLS_SERVER_NAME: v(z.string().min(1), 'TLS server name override (SNI).'),
  TEMPORAL_API_KEY: v(z.string().min(1), 'API key for Temporal Cloud (sent as a bearer token; enables TLS).'),
  TEMPORAL_CLI_PATH: v(
    z.string().min(1),
    'Path of an existing `temporal` CLI binary; otherwise a cached build is used or built with Go.',
  ),
  KAFKA_BROKERS: v(
    list().pipe(z.array(z.string().regex(/^[^\s:,]+:\d+$/, 'each must be host:port')).min(1)),
    'Comma-separated host:port bootstrap brokers of the Kafka cluster the integration events go to. Unset under `npm start`: a single-node Kafka (KRaft) is started with its data under DATA_DIR, on 127.0.0.1:KAFKA_PORT. A process run on its own defaults to 127.0.0.1:KAFKA_PORT.',
  ),
  KAFKA_PORT: v(
    port(),
    '`npm start` only: client port of the Kafka broker it starts when KAFKA_BROKERS is unset (any Kafka tool can use 127.0.0.1:KAFKA_PORT).',
    '9092',
  ),
  KAFKA_CONTROLLER_PORT: v(
    port(),
    "`npm start` only: port of the started broker's KRaft controller listener (loopback).",
    '9093',
  ),
  KAFKA_HEAP_MB: v(int(128, 32768), '`npm start` only: Java heap of the started broker, in MiB.', '512'),
  KAFKA_TOPIC_PARTITIONS: v(
    int(1, 1000),
    'Partitions of each `<service>.events` topic the project creates (an existing topic keeps its count).',
    '6',
  ),
  CONSUMERS_PER_GROUP: v(
    int(1, 64),
    'Bus consumer instances per consumer group in the process that owns the group (e.g. the `inventory.demand` CRDT read model: one slot per instance).',
    '2',
  ),
  AUTH_JWT_SECRET: v(
    z.string().min(32, 'must be at least 32 characters'),
    'HS256 secret for API bearer tokens. `npm start` generates one under DATA_DIR if unset; required for the API run on its own.',
  ),
  ORDER_CANCELLATION_WINDOW_MS: v(
    int(0, 7 * 24 * 3600 * 1000),
    'Durable timer after payment during which an order can still be cancelled; 0 = no window.',
    '10000',
  ),
  SHIPPING_COUNTRIES: v(
    list().pipe(z.array(z.string().regex(/^[A-Z]{2}$/, 'each must be an ISO 3166-1 alpha-2 code')).min(1)),
    'Comma-separated ISO 3166-1 alpha-2 codes the carrier ships to.',
    DEFAULT_SHIPPING_COUNTRIES.join(','),
  ),
  CARRIER_URL: v(
    z.url(),
    'Base URL of the shipping carrier HTTP service. Defaults to http://HOST:CARRIER_PORT.',
  ),
  CARRIER_PORT: v(port(), 'Port of the simulated carrier service started with the stack.', '4010'),
  CARRIER_FAILURE_RATE: v(rate(), 'Simulated carrier: share of requests that fail with 503 (0..1).', '0'),
  CARRIER_LATENCY_MS: v(int(0, 60000), 'Simulated carrier: added latency per request.', '0'),
  CARRIER_TIMEOUT_MS: v(
    int(1, 60000),
    'Timeout of one call to the carrier from the shipping worker.',
    '2000',
  ),
  METRICS_PORT_BASE: v(
    port(),
    'Workers serve /metrics on consecutive ports from here: orders, inventory, payments, shipping.',
    '9464',
  ),
  WORKER_METRICS_PORT: v(
    port(),
    "Port of this worker process's /metrics and /health server. Defaults to METRICS_PORT_BASE + the queue's index.",
  ),
  WORKER_SDK_METRICS_PORT: v(
    port(),
    "Loopback port of the Temporal SDK's own Prometheus exporter in a worker process (merged into its /metrics). Defaults to the worker's metrics port + 1000.",
  ),
  WORKER_METRICS_URLS: v(
    list(),
    'Comma-separated worker /metrics URLs the API gathers into its own /metrics. Defaults to the four METRICS_PORT_BASE ports on HOST.',
  ),
  WORKER_MAX_CONCURRENT_ACTIVITIES: v(int(1, 10000), 'Activity slots per worker process.', '100'),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: v(int(1, 10000), 'Workflow task slots of the orders worker.', '100'),
  WORKER_MAX_CACHED_WORKFLOWS: v(int(0, 100000), 'Sticky workflow cache size of the orders worker.', '1000'),
  WORKERS_PER_QUEUE: v(int(1, 16), '`npm start` only: worker processes started per task queue.', '1'),
  RELAY_POLL_INTERVAL_MS: v(int(10, 60000), 'Outbox relay polling fallback when no NOTIFY arrives.', '1000'),
  RELAY_LAG_LIMIT_S: v(
    int(1, 86400),
    "The API's /health answers 503 when a service's oldest undelivered outbox message, or the oldest order event a read model has not applied, has waited longer than this (seconds).",
    '60',
  ),
} satisfies Record<string, VarSpec<unknown>>;

type Vars = typeof VARIABLES;
type Parsed<K extends keyof Vars> = Vars[K] extends VarSpec<infer T> ? T : never;
type HasDefault<K extends keyof Vars> = Vars[K] extends { default: string } ? K : never;
export type RawConfig = { [K in keyof Vars as HasDefault<K>]: Parsed<K> } & {
  [K in keyof Vars as Vars[K] extends { default: string } ? never : K]?: Parsed<K>;
};

export interface Config {
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: LogFormatSetting;
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  pgPoolMax: number;
  temporal: {
    /** undefined: `npm start` runs the dev server; standalone processes use 127.0.0.1:7233 */
    address: string | undefined;
    devServerPort: number;
    namespace: string;
    uiPort: number;
    uiUrl: string;
    tls: boolean;
    tlsCertPath: string | undefined;
    tlsKeyPath: string | undefined;
    tlsCaPath: string | undefined;
    tlsServerName: string | undefined;
    apiKey: string | undefined;
    cliPath: string | undefined;
  };
  kafka: {
    /** undefined: `npm start` runs a broker; standalone processes use 127.0.0.1:port */
    brokers: string[] | undefined;
    port: number;
    controllerPort: number;
    heapMb: number;
    topicPartitions: number;
    /** members of each bus consumer group started in the owning service's process */
    consumersPerGroup: number;
  };
  authJwtSecret: string | undefined;
  orderCancellationWindowMs: number;
  shippingCountries: string[];
  carrier: { url: string; port: number; failureRate: number; latencyMs: number; timeoutMs: number };
  metricsPortBase: number;
  /** explicit /metrics port of this worker process (set by `npm start` when several run per queue) */
  workerMetricsPort: number | undefined;
  /** explicit port of the SDK's Prometheus exporter in this worker process */
  workerSdkMetricsPort: number | undefined;
  workerMetricsUrls: string[];
  worker: { maxConcurrentActivities: number; maxConcurrentWorkflowTasks: number; maxCachedWorkflows: number };
  workersPerQueue: number;
  relayPollIntervalMs: number;
  relayLagLimitS: number;
}

/** Parses and validates the environment. Throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(VARIABLES) as [string, VarSpec<unknown>][]) {
    const given = env[name];
    const value = given === undefined || given === '' ? spec.default : given;
    if (value === undefined) continue;
    const result = spec.schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ConfigError(name, `${issue?.message ?? 'invalid value'} (got ${JSON.stringify(given)})`);
    }
    raw[name] = result.data;
  }
  const r = raw as RawConfig;
  const tls = r.TEMPORAL_TLS || r.TEMPORAL_API_KEY !== undefined || r.TEMPORAL_TLS_CERT_PATH !== undefined;
  if ((r.TEMPORAL_TLS_CERT_PATH === undefined) !== (r.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new ConfigError(
      r.TEMPORAL_TLS_CERT_PATH === undefined ? 'TEMPORAL_TLS_CERT_PATH' : 'TEMPORAL_TLS_KEY_PATH',
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together',
    );
  }
  const base = r.METRICS_PORT_BASE;
  return {
    logLevel: r.LOG_LEVEL,
    logFormat: r.LOG_FORMAT,
    host: r.HOST,
    port: r.PORT,
    dataDir: r.DATA_DIR,
    databaseUrl: r.DATABASE_URL,
    embeddedPgPort: r.EMBEDDED_PG_PORT,
    pgPoolMax: r.PG_POOL_MAX,
    temporal: {
      address: r.TEMPORAL_ADDRESS,
      devServerPort: r.TEMPORAL_PORT,
      namespace: r.TEMPORAL_NAMESPACE,
      uiPort: r.TEMPORAL_UI_PORT,
      uiUrl: r.TEMPORAL_UI_URL ?? `http://127.0.0.1:${r.TEMPORAL_UI_PORT}`,
      tls,
      tlsCertPath: r.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: r.TEMPORAL_TLS_KEY_PATH,
      tlsCaPath: r.TEMPORAL_TLS_CA_PATH,
      tlsServerName: r.TEMPORAL_TLS_SERVER_NAME,
      apiKey: r.TEMPORAL_API_KEY,
      cliPath: r.TEMPORAL_CLI_PATH,
    },
    kafka: {
      brokers: r.KAFKA_BROKERS,
      port: r.KAFKA_PORT,
      controllerPort: r.KAFKA_CONTROLLER_PORT,
      heapMb: r.KAFKA_HEAP_MB,
      topicPartitions: r.KAFKA_TOPIC_PARTITIONS,
      consumersPerGroup: r.CONSUMERS_PER_GROUP,
    },
    authJwtSecret: r.AUTH_JWT_SECRET,
    orderCancellationWindowMs: r.ORDER_CANCELLATION_WINDOW_MS,
    shippingCountries: r.SHIPPING_COUNTRIES,
    carrier: {
      url: r.CARRIER_URL ?? `http://${r.HOST}:${r.CARRIER_PORT}`,
      port: r.CARRIER_PORT,
      failureRate: r.CARRIER_FAILURE_RATE,
      latencyMs: r.CARRIER_LATENCY_MS,
      timeoutMs: r.CARRIER_TIMEOUT_MS,
    },
    metricsPortBase: base,
    workerMetricsPort: r.WORKER_METRICS_PORT,
    workerSdkMetricsPort: r.WORKER_SDK_METRICS_PORT,
    workerMetricsUrls:
      r.WORKER_METRICS_URLS ?? [0, 1, 2, 3].map((i) => `http://${r.HOST}:${base + i}/metrics`),
    worker: {
      maxConcurrentActivities: r.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: r.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: r.WORKER_MAX_CACHED_WORKFLOWS,
    },
    workersPerQueue: r.WORKERS_PER_QUEUE,
    relayPollIntervalMs: r.RELAY_POLL_INTERVAL_MS,
    relayLagLimitS: r.RELAY_LAG_LIMIT_S,
  };
}

/** For processes that cannot run without a database URL (workers, API run on their own). */
export function requireDatabaseUrl(config: Config): string {
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required (a postgres:// URL)');
  return config.databaseUrl;
}

export function requireJwtSecret(config: Config): string {
  if (!config.authJwtSecret) throw new ConfigError('AUTH_JWT_SECRET', 'is required (at least 32 characters)');
  return config.authJwtSecret;
}

export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devServerPort}`;
}

export function kafkaBrokers(config: Config): string[] {
  return config.kafka.brokers ?? [`127.0.0.1:${config.kafka.port}`];
}
