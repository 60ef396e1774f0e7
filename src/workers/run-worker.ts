/**
 * The shared runner of a worker *process*: config from env, Runtime telemetry (the SDK's own worker metrics
 * on a Core Prometheus endpoint that our /metrics proxies), a Postgres pool, a NativeConnection, the worker
 * built by `createServiceWorker`, a small HTTP server with /metrics and /health, and a graceful shutdown on
 * SIGTERM/SIGINT (stop polling, let running tasks finish within the grace time, then close everything).
 */
import http from 'node:http';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino from 'pino';
import { kafkaBrokers, loadConfig, requireDatabaseUrl } from '../config';
import { createPool } from '../db/pool';
import { createMetricsRegistry, createSagaMetrics } from '../metrics/saga-metrics';
import { connectNative } from '../platform/temporal-connection';
import { SERVICES } from '../domain/ids';
import { TASK_QUEUES, type ServiceName } from '../workflows/contracts';
import { createServiceWorker } from './service-worker';

/** Serves /metrics (our registry + the SDK's Core metrics) and /health. */
export async function startMetricsServer(opts: {
  host: string;
  port: number;
  render: () => Promise<string>;
  health: () => { ok: boolean; detail: Record<string, unknown> };
}): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      opts.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    if (req.url === '/health') {
      const h = opts.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: h.ok ? 'ok' : 'unavailable', ...h.detail }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}

async function fetchText(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

/** Runs the worker of one task queue as this process, until SIGTERM/SIGINT. */
export async function runWorker(service: ServiceName): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: `worker-${service}` } });
  const databaseUrl = requireDatabaseUrl(config);
  const metricsPort = config.workerMetricsPort ?? config.metricsPortBase + SERVICES.indexOf(service);
  // The SDK's own metrics (slots, polls, latencies, sticky cache...) on a loopback Core exporter; /metrics
  // below appends them to ours so one scrape sees both.
  const coreMetricsAddress = `127.0.0.1:${config.workerSdkMetricsPort ?? metricsPort + 1000}`;
  Runtime.install({
    logger: new DefaultLogger(
      config.logLevel === 'silent' ? 'ERROR' : (toSdkLevel(config.logLevel) as LogLevel),
      (entry) => {
        // expected on the activity-only queues; not worth a warning on every start
        if (entry.message.startsWith('No workflows registered')) return;
        logger[entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'info')](
          entry.meta ?? {},
          entry.message,
        );
      },
    ),
    telemetryOptions: { metrics: { prometheus: { bindAddress: coreMetricsAddress } } },
  });

  const pool = createPool(databaseUrl, {
    max: config.pgPoolMax,
    applicationName: `worker-${service}`,
    lockTimeoutMs: config.pgLockTimeoutMs,
  });
  // phase 2 of 2PC/3PC and the recovery sweep on connections of their own (service-worker.ts)
  const coordinationPool = createPool(databaseUrl, {
    max: 2,
    applicationName: `worker-${service}-coordination`,
  });
  const registry = createMetricsRegistry({ service, task_queue: TASK_QUEUES[service] });
  const metrics = createSagaMetrics(registry);
  const connection = await connectNative(config);
  const built = await createServiceWorker(service, {
    connection,
    namespace: config.temporal.namespace,
    pool,
    coordinationPool,
    config,
    metrics,
    logger,
    prepareLockTimeoutMs: config.coordination.prepareLockTimeoutMs,
    recovery: {
      intervalMs: config.coordination.recoveryIntervalMs,
      presumeAbortAfterMs: config.coordination.presumeAbortAfterMs,
    },
    // BUS_ENABLED=false: no Kafka sink and no consumer groups (nor the choreography's reactions)
    ...(config.kafka.enabled && {
      bus: {
        brokers: kafkaBrokers(config),
        consumersPerGroup: config.kafka.consumersPerGroup,
        processTag: String(metricsPort),
        log: logger.child({ component: 'bus' }),
        registry,
      },
    }),
  });
  const server = await startMetricsServer({
    host: config.host,
    port: metricsPort,
    render: async () =>
      (await registry.metrics()) + '\n' + (await fetchText(`http://${coreMetricsAddress}/metrics`)),
    health: () => ({
      ok: built.worker.getState() === 'RUNNING',
      detail: {
        worker: built.worker.getState(),
        service,
        bus: built.bus && {
          published: built.bus.sink.stats(),
          consumers: built.bus.consumers.map((c) => ({
            group: c.name,
            instance: c.instance,
            ...c.consumer.stats(),
          })),
        },
      },
    }),
  });
  logger.info(
    { taskQueue: TASK_QUEUES[service], metrics: `http://${config.host}:${metricsPort}/metrics` },
    'worker starting',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down');
    built.worker.shutdown();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  try {
    await built.worker.run();
  } finally {
    await built.stopBackground();
    server.close();
    await connection.close();
    await pool.end();
    await coordinationPool.end();
    logger.info('worker stopped');
  }
}

function toSdkLevel(level: string): string {
  switch (level) {
    case 'fatal':
    case 'error':
      return 'ERROR';
    case 'warn':
      return 'WARN';
    case 'debug':
      return 'DEBUG';
    case 'trace':
      return 'TRACE';
    default:
      return 'INFO';
  }
}

/** Entry helper for the per-queue files: run, log a fatal error, exit non-zero. */
export function main(service: ServiceName): void {
  runWorker(service).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`worker-${service} failed:`, err);
      process.exit(1);
    },
  );
}
