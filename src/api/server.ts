/**
 * Composition root of the API gateway: config from the environment, the Postgres pool, the Temporal client,
 * the services, then listen. SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), close
 * the pool and the Temporal connection.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { loadConfig, requireDatabaseUrl, requireJwtSecret } from '../config';
import { createPool } from '../db/pool';
import { clientConnectionOptions } from '../platform/temporal-connection';
import { createApp } from './app';
import { createApiServices } from './wiring';

const SHUTDOWN_GRACE_MS = 10_000;

function main(): void {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'api', pid: process.pid } });
  const pool = createPool(requireDatabaseUrl(config), {
    max: config.pgPoolMax,
    lockTimeoutMs: config.pgLockTimeoutMs,
    applicationName: 'order-saga-api',
  });
  // Lazy: the gateway starts (and answers 503 + /health) while Temporal is still coming up.
  const connection = Connection.lazy(clientConnectionOptions(config));
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const services = createApiServices({
    pool,
    relayLagLimitS: config.relayLagLimitS,
    // the bus is in /health when the brokers are named (npm start names its own); the API publishes nothing
    ...(config.kafka.enabled && config.kafka.brokers ? { kafkaBrokers: config.kafka.brokers } : {}),
  });
  const app = createApp({
    pool,
    temporal,
    services,
    logger,
    config: {
      jwtSecret: requireJwtSecret(config),
      cancellationWindowMs: config.orderCancellationWindowMs,
      shipmentBudgetMs: config.orderShipmentBudgetMs,
      choreography: config.choreography,
      busEnabled: config.kafka.enabled,
      threePcTimeoutMs: config.coordination.threePcTimeoutMs,
      workerMetricsUrls: config.workerMetricsUrls,
    },
  });

  const server: Server = app.listen(config.port, config.host, () => {
    logger.info({ host: config.host, port: config.port }, 'API gateway listening');
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'API gateway could not listen');
    process.exit(1);
  });

  const purge = setInterval(
    () => {
      app.context.idempotency
        .purgeExpired()
        .then((n) => n && logger.info({ purged: n }, 'expired idempotency keys purged'))
        .catch((err: unknown) => logger.warn({ err }, 'idempotency key purge failed'));
    },
    15 * 60 * 1000,
  );
  purge.unref();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    clearInterval(purge);
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; closing connections');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // keep-alive connections: close each as soon as its in-flight request has been answered
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      void (async () => {
        await pool.end().catch(() => undefined);
        await connection.close().catch(() => undefined);
        logger.info('API gateway stopped');
        process.exit(0);
      })();
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
