/** Entry point of the simulated carrier process: `node dist/carrier/server.js` (env: CARRIER_*, HOST). */
import pino from 'pino';
import { loadConfig } from '../config';
import { startCarrierServer } from './app';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'carrier' } });
  const carrier = await startCarrierServer({
    port: config.carrier.port,
    host: config.host,
    behaviour: { failureRate: config.carrier.failureRate, latencyMs: config.carrier.latencyMs },
  });
  logger.info({ url: carrier.url, behaviour: carrier.behaviour }, 'carrier listening');
  const stop = (signal: string) => {
    logger.info({ signal }, 'carrier stopping');
    void carrier.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
