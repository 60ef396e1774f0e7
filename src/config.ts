/**
 * The one configuration module: every environment variable is one VARIABLES entry (its `Config` key, parser,
 * default, description); the `Config` type and the README's table (`npm run config:docs`) derive from it.
 * Only composition roots (src/workers/*, src/api/server.ts, src/platform/*) call `loadConfig(process.env)`.
 */
import { z } from 'zod';
import { DEFAULT_CHOREOGRAPHY_DEADLINES } from './domain/choreography';
import { COORDINATION_DEFAULTS } from './domain/coordination';
import { SERVICES } from './domain/ids';
import type { AtPath, Flatten, Intersect } from './config-paths';
import { bool, ConfigError, int, list, parseVariable, port, rate, v, type VarSpec } from './config-parsers';

export { ConfigError } from './config-parsers';
import { PARTITION_HOOK_DOC } from './coordination/partition-hook';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormatSetting = (typeof LOG_FORMATS)[number];
export const DEFAULT_SHIPPING_COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'SE', 'JP', 'AU'];

/** Every environment variable, its parser, default and documentation. */
export const VARIABLES = {
  LOG_LEVEL: v(
    'logLevel',
    z.enum(LOG_LEVELS),
    'Log level of every process (pino): fatal, error, warn, info, debug, trace, silent.',
    'info',
  ),
  LOG_FORMAT: v(
    'logFormat',
    z.enum(LOG_FORMATS),
    "`npm start` only: how it prints its processes' log lines. `pretty`: one readable line each (time, process, level, message, and orderId, workflowId, the request or err when present); `json`: each process's pino JSON lines unchanged, as log shippers expect; `auto`: pretty when stdout is a terminal, JSON otherwise. A process run on its own always writes JSON.",
    'auto',
  ),
  PORT: v(
    'port',
    port(),
    'HTTP port of the API gateway. `npm start -- --cluster` runs a second instance on PORT + 1.',
    '3000',
  ),
  HOST: v(
    'host',
    z.string().min(1),
    'Interface the API gateway, the carrier and worker metrics listen on.',
    '127.0.0.1',
  ),
  DATA_DIR: v(
    'dataDir',
    z.string().min(1),
    '`npm start` only: where the embedded Postgres and the Temporal dev server keep their data.',
    '.data',
  ),
  DATABASE_URL: v(
    'databaseUrl',
    z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
    "Postgres connection URL (`?host=/dir` for a Unix socket). Unset under `npm start`: an embedded Postgres is started with its data under DATA_DIR; the stack's processes connect through its Unix socket in that directory, people and tools through 127.0.0.1:EMBEDDED_PG_PORT. Required for a process run on its own.",
  ),
  EMBEDDED_PG_PORT: v(
    'embeddedPgPort',
    port(),
    '`npm start` only: port of the embedded Postgres when DATABASE_URL is unset.',
    '54329',
  ),
  PG_POOL_MAX: v('pgPoolMax', int(1, 200), "Maximum connections in each process's Postgres pool.", '10'),
  PG_LOCK_TIMEOUT_MS: v(
    'pgLockTimeoutMs',
    int(0, 3_600_000),
    "`lock_timeout` of the API's and the workers' pooled sessions (0: none). A statement that waits longer for a row lock (typically one a 2PC/3PC order's prepared transaction holds until its coordinator decides) fails and gives its connection back: a saga step is retried by Temporal, a bus consumer retries without counting a try, the API answers 503 with Retry-After. Without it, such waits once took every connection of a worker's pool, and the prepares and relays that would have ended them could not get one.",
    '10000',
  ),
  TEMPORAL_ADDRESS: v(
    'temporal.address',
    z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port'),
    'Temporal frontend host:port. Unset under `npm start`: the Temporal CLI dev server is started (UI on TEMPORAL_UI_PORT). A process run on its own defaults to 127.0.0.1:7233.',
  ),
  TEMPORAL_PORT: v(
    'temporal.devServerPort',
    port(),
    "`npm start` only: gRPC port of the dev server it starts when TEMPORAL_ADDRESS is unset; with `--cluster`, the one frontend address in front of the cluster's nodes.",
    '7233',
  ),
  TEMPORAL_NAMESPACE: v('temporal.namespace', z.string().min(1), 'Temporal namespace.', 'default'),
  TEMPORAL_UI_PORT: v(
    'temporal.uiPort',
    port(),
    "Port of the dev server's Web UI (started by `npm start` when TEMPORAL_ADDRESS is unset), or of the UI server with `--cluster`.",
    '8233',
  ),
  TEMPORAL_UI_URL: v(
    'temporal.uiUrl',
    z.url(),
    'Web UI base URL printed and linked for operators. Defaults to http://127.0.0.1:TEMPORAL_UI_PORT.',
  ),
  TEMPORAL_TLS: v(
    'temporal.tls',
    bool(),
    'Use TLS to reach Temporal (implied by TEMPORAL_API_KEY or a client certificate).',
    'false',
  ),
  TEMPORAL_TLS_CERT_PATH: v(
    'temporal.tlsCertPath',
    z.string().min(1),
    'mTLS client certificate (PEM) for a remote Temporal cluster.',
  ),
  TEMPORAL_TLS_KEY_PATH: v('temporal.tlsKeyPath', z.string().min(1), 'mTLS client private key (PEM).'),
  TEMPORAL_TLS_CA_PATH: v(
    'temporal.tlsCaPath',
    z.string().min(1),
    'CA certificate (PEM) to verify the server, if not a public CA.',
  ),
  TEMPORAL_TLS_SERVER_NAME: v('temporal.tlsServerName', z.string().min(1), 'TLS server name override (SNI).'),
  TEMPORAL_API_KEY: v(
    'temporal.apiKey',
    z.string().min(1),
    'API key for Temporal Cloud (sent as a bearer token; enables TLS).',
  ),
  TEMPORAL_CLI_PATH: v(
    'temporal.cliPath',
    z.string().min(1),
    'Path of an existing `temporal` CLI binary; otherwise a cached build is used or built with Go.',
  ),
  BUS_ENABLED: v(
    'kafka.enabled',
    bool(),
    '`false`: the deployment runs without the bus. `npm start` starts no broker, the relays feed only the Postgres read models, no consumer group runs; `coordination: "choreography"`, the order timeline and the per-SKU demand answer 501 `bus-disabled`. For a deployment (or the bench\'s saga-without-the-bus figure) that never had the bus: the outbox marks an event delivered once every subscriber took it, so events written while it was off are never published later.',
    'true',
  ),
  KAFKA_BROKERS: v(
    'kafka.brokers',
    list().pipe(z.array(z.string().regex(/^[^\s:,]+:\d+$/, 'each must be host:port')).min(1)),
    'Comma-separated host:port bootstrap brokers of the Kafka cluster the integration events go to. Unset under `npm start`: a single-node Kafka (KRaft) is started with its data under DATA_DIR, on 127.0.0.1:KAFKA_PORT. A worker run on its own defaults to 127.0.0.1:KAFKA_PORT; the API reports the bus in /health only when this is set.',
  ),
  KAFKA_PORT: v(
    'kafka.port',
    port(),
    '`npm start` only: client port of the Kafka broker it starts when KAFKA_BROKERS is unset (any Kafka tool can use 127.0.0.1:KAFKA_PORT).',
    '9092',
  ),
  KAFKA_CONTROLLER_PORT: v(
    'kafka.controllerPort',
    port(),
    "`npm start` only: port of the started broker's KRaft controller listener (loopback).",
    '9093',
  ),
  KAFKA_HEAP_MB: v(
    'kafka.heapMb',
    int(128, 32768),
    '`npm start` only: Java heap of the started broker, in MiB.',
    '512',
  ),
  KAFKA_TOPIC_PARTITIONS: v(
    'kafka.topicPartitions',
    int(1, 1000),
    'Partitions of each `<service>.events` topic the project creates (an existing topic keeps its count).',
    '6',
  ),
  CONSUMERS_PER_GROUP: v(
    'kafka.consumersPerGroup',
    int(1, 64),
    'Bus consumer instances per consumer group in the process that owns the group (e.g. the `inventory.demand` CRDT read model: one slot per instance).',
    '2',
  ),
  AUTH_JWT_SECRET: v(
    'authJwtSecret',
    z.string().min(32, 'must be at least 32 characters'),
    'HS256 secret for API bearer tokens. `npm start` generates one under DATA_DIR if unset; required for the API run on its own.',
  ),
  ORDER_CANCELLATION_WINDOW_MS: v(
    'orderCancellationWindowMs',
    int(0, 7 * 24 * 3600 * 1000),
    'Durable timer after payment during which an order can still be cancelled; 0 = no window.',
    '10000',
  ),
  ORDER_SHIPMENT_BUDGET_MS: v(
    'orderShipmentBudgetMs',
    int(1000, 24 * 3600 * 1000),
    "How long the shipment step may keep retrying the carrier (all attempts) before the order fails with CarrierUnavailable and is compensated, in both coordination modes (the orchestrated activity's schedule-to-close, the choreographed booking's retry budget).",
    String(15 * 60_000),
  ),
  CHOREOGRAPHY_STEP_DEADLINE_MS: v(
    'choreography.stepDeadlineMs',
    int(1000, 24 * 3600 * 1000),
    "Choreographed orders: how long each step but the shipment may take (the shipment: ORDER_SHIPMENT_BUDGET_MS plus this) before the orders service compensates the order, as a refusal would. The default is the orchestrated saga's budget for a forward step (15 attempts, about 5 minutes of backoff); unlike that budget it also counts the time an event waits in its partition, so it must cover the longest queue a burst can build (1,000 orders on one SKU: about 2 minutes here, in either mode).",
    String(DEFAULT_CHOREOGRAPHY_DEADLINES.stepDeadlineMs),
  ),
  CHOREOGRAPHY_STUCK_GRACE_MS: v(
    'choreography.stuckGraceMs',
    int(0, 24 * 3600 * 1000),
    "Choreographed orders: an order with no progress this long past its current step's deadline is stuck (/health `choreography` check, the `orders_stuck` gauge, `GET /orders?status=STUCK`).",
    '60000',
  ),
  THREE_PC_PARTITION_FILE: v('threePcPartitionFile', z.string().min(1), PARTITION_HOOK_DOC),
  SHIPPING_COUNTRIES: v(
    'shippingCountries',
    list().pipe(z.array(z.string().regex(/^[A-Z]{2}$/, 'each must be an ISO 3166-1 alpha-2 code')).min(1)),
    'Comma-separated ISO 3166-1 alpha-2 codes the carrier ships to.',
    DEFAULT_SHIPPING_COUNTRIES.join(','),
  ),
  CARRIER_URL: v(
    'carrier.url',
    z.url(),
    'Base URL of the shipping carrier HTTP service. Defaults to http://HOST:CARRIER_PORT.',
  ),
  CARRIER_PORT: v(
    'carrier.port',
    port(),
    'Port of the simulated carrier service started with the stack.',
    '4010',
  ),
  CARRIER_FAILURE_RATE: v(
    'carrier.failureRate',
    rate(),
    'Simulated carrier: share of requests that fail with 503 (0..1).',
    '0',
  ),
  CARRIER_LATENCY_MS: v(
    'carrier.latencyMs',
    int(0, 60000),
    'Simulated carrier: added latency per request.',
    '0',
  ),
  CARRIER_TIMEOUT_MS: v(
    'carrier.timeoutMs',
    int(1, 60000),
    'Timeout of one call to the carrier from the shipping worker.',
    '2000',
  ),
  METRICS_PORT_BASE: v(
    'metricsPortBase',
    port(),
    `Workers serve /metrics on consecutive ports from here: ${SERVICES.join(', ')}.`,
    '9464',
  ),
  WORKER_METRICS_PORT: v(
    'workerMetricsPort',
    port(),
    "Port of this worker process's /metrics and /health server. Defaults to METRICS_PORT_BASE + the queue's index.",
  ),
  WORKER_SDK_METRICS_PORT: v(
    'workerSdkMetricsPort',
    port(),
    "Loopback port of the Temporal SDK's own Prometheus exporter in a worker process (merged into its /metrics). Defaults to the worker's metrics port + 1000.",
  ),
  WORKER_METRICS_URLS: v(
    'workerMetricsUrls',
    list(),
    'Comma-separated worker /metrics URLs the API gathers into its own /metrics. Defaults to the four METRICS_PORT_BASE ports on HOST.',
  ),
  WORKER_MAX_CONCURRENT_ACTIVITIES: v(
    'worker.maxConcurrentActivities',
    int(1, 10000),
    'Activity slots per worker process.',
    '100',
  ),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: v(
    'worker.maxConcurrentWorkflowTasks',
    int(1, 10000),
    'Workflow task slots of the orders worker.',
    '100',
  ),
  WORKER_MAX_CACHED_WORKFLOWS: v(
    'worker.maxCachedWorkflows',
    int(0, 100000),
    'Sticky workflow cache size of the orders worker.',
    '1000',
  ),
  WORKERS_PER_QUEUE: v(
    'workersPerQueue',
    int(1, 16),
    '`npm start` only: worker processes started per task queue (unset with `--cluster`: 2).',
    '1',
  ),
  RELAY_POLL_INTERVAL_MS: v(
    'relayPollIntervalMs',
    int(10, 60000),
    'Outbox relay polling fallback when no NOTIFY arrives.',
    '1000',
  ),
  COORDINATION_RECOVERY_INTERVAL_MS: v(
    'coordination.recoveryIntervalMs',
    int(100, 3_600_000),
    '2PC/3PC: how often each voting worker (orders, inventory, payments) sweeps its prepared transactions: the 3PC timeout rule, then every one with a recorded decision is finished by it (also once at start).',
    String(COORDINATION_DEFAULTS.recoveryIntervalMs),
  ),
  COORDINATION_PRESUME_ABORT_AFTER_MS: v(
    'coordination.presumeAbortAfterMs',
    int(1000, 7 * 86_400_000),
    '2PC/3PC: a prepared transaction without a recorded decision for this long is presumed aborted by the sweep (first writer wins: a coordinator that recorded commit first keeps it).',
    String(COORDINATION_DEFAULTS.presumeAbortAfterMs),
  ),
  COORDINATION_PREPARE_LOCK_TIMEOUT_MS: v(
    'coordination.prepareLockTimeoutMs',
    int(50, 25_000),
    "2PC/3PC: how long a participant's prepare waits for a row lock held by another transaction (typically another order's prepared one) before giving up: the order's transaction votes no (`LockTimeout`, the order fails and releases what it prepared elsewhere), a reverse transaction is retried. It breaks the distributed deadlock two orders' parallel prepares can form (each holding a lock the other waits for, with the coordinators, not Postgres, closing the cycle). At most 25 s: below the 30 s attempt timeout, so the waiting session ends before its activity is retried.",
    String(COORDINATION_DEFAULTS.prepareLockTimeoutMs),
  ),
  THREE_PC_TIMEOUT_MS: v(
    'coordination.threePcTimeoutMs',
    int(100, 3_600_000),
    "3PC: a participant's deadline after its yes vote and after its pre-commit; past it, one pre-committed commits on its own and one that only voted yes aborts. Passed by the API to every 3PC order.",
    String(COORDINATION_DEFAULTS.threePcTimeoutMs),
  ),
  RELAY_LAG_LIMIT_S: v(
    'relayLagLimitS',
    int(1, 86400),
    "The API's /health answers 503 when a service's oldest undelivered outbox message, or the oldest order event a read model has not applied, has waited longer than this (seconds).",
    '60',
  ),
} satisfies Record<string, VarSpec<string, unknown>>;

type Vars = typeof VARIABLES;
type Name = keyof Vars;
type Parsed<K extends Name> = Vars[K] extends VarSpec<string, infer T> ? T : never;
/** Each variable's parsed value: present when it has a default, else possibly undefined. */
export type RawConfig = { [K in Name as Vars[K] extends { default: string } ? K : never]: Parsed<K> } & {
  [K in Name as Vars[K] extends { default: string } ? never : K]?: Parsed<K>;
};

/** Values computed from other variables (each variable's doc says how). */
const DERIVED = {
  TEMPORAL_UI_URL: (r: RawConfig) => r.TEMPORAL_UI_URL ?? `http://127.0.0.1:${r.TEMPORAL_UI_PORT}`,
  TEMPORAL_TLS: (r: RawConfig) =>
    r.TEMPORAL_TLS || r.TEMPORAL_API_KEY !== undefined || r.TEMPORAL_TLS_CERT_PATH !== undefined,
  CARRIER_URL: (r: RawConfig) => r.CARRIER_URL ?? `http://${r.HOST}:${r.CARRIER_PORT}`,
  WORKER_METRICS_URLS: (r: RawConfig) =>
    r.WORKER_METRICS_URLS ??
    SERVICES.map((_service, i) => `http://${r.HOST}:${r.METRICS_PORT_BASE + i}/metrics`),
} satisfies { [K in Name]?: (raw: RawConfig) => Parsed<K> };

/** Rules between variables, checked after each was parsed. */
function checkTogether(r: RawConfig): void {
  if ((r.TEMPORAL_TLS_CERT_PATH === undefined) !== (r.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new ConfigError(
      r.TEMPORAL_TLS_CERT_PATH === undefined ? 'TEMPORAL_TLS_CERT_PATH' : 'TEMPORAL_TLS_KEY_PATH',
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together',
    );
  }
}

type Value<K extends Name> = K extends keyof typeof DERIVED
  ? ReturnType<(typeof DERIVED)[K]>
  : Vars[K] extends { default: string }
    ? Parsed<K>
    : Parsed<K> | undefined;
/** The typed configuration: every variable's value at its `key` (derived from VARIABLES, never restated). */
export type Config = Flatten<Intersect<{ [K in Name]: AtPath<Vars[K]['key'], Value<K>> }[Name]>>;

/** Parses and validates the environment. Throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const specs = Object.entries(VARIABLES) as [Name, VarSpec<string, unknown>][];
  const raw: Record<string, unknown> = {};
  for (const [name, spec] of specs) raw[name] = parseVariable(name, spec, env[name]);
  checkTogether(raw as RawConfig);
  const config: Record<string, unknown> = {};
  for (const [name, spec] of specs) {
    const derive = (DERIVED as Partial<Record<Name, (r: RawConfig) => unknown>>)[name];
    const path = spec.key.split('.');
    let at = config;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path.at(-1)!] = derive ? derive(raw as RawConfig) : raw[name];
  }
  return config as Config;
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
