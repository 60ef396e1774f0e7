/** Versions and settings: what the figures were measured on (Node, SDK, CLI, server, Postgres; flags, pragmas). */
import type { BenchContext, Section } from '../lib/context';
import { CUSTOMERS } from '../lib/seed';
import { cliVersionOf, findCli, pkgVersion, postgresSettings, postgresVersion } from '../lib/versions';

async function versions(ctx: BenchContext): Promise<Record<string, string>> {
  const { stack } = ctx;
  const sys = await ctx.connection.workflowService.getSystemInfo({});
  const cliPath = stack.supervisor.names().includes('temporal') ? findCli() : undefined;
  return {
    node: process.version,
    temporalSdk: pkgVersion('@temporalio/worker'),
    temporalCli: cliPath ? cliVersionOf(cliPath) : 'external server',
    temporalServer: sys.serverVersion ?? 'unknown',
    postgres: await postgresVersion(ctx.pool),
    pg: pkgVersion('pg'),
  };
}

async function settings(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { stack, profile } = ctx;
  return {
    devServerArgs: stack.temporalArgs,
    sqlite: {
      file: 'temporal.db under DATA_DIR (persistent)',
      pragmas: stack.temporalArgs.flatMap((a, i) =>
        stack.temporalArgs[i - 1] === '--sqlite-pragma' ? [a] : [],
      ),
    },
    postgres: {
      ...(await postgresSettings(ctx.pool)),
      connection: new URL(stack.databaseUrl).searchParams.has('host')
        ? 'Unix-domain socket in the data directory'
        : 'TCP',
    },
    worker: {
      ...stack.config.worker,
      reuseV8Context: 'SDK default',
      shutdownGraceTime: '10s',
      pgPoolMax: stack.config.pgPoolMax,
      processesPerQueue: stack.config.workersPerQueue,
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => /^(WORKER_|PG_POOL|RELAY_)/.test(k)),
      ),
    },
    load: {
      concurrency: profile.concurrency,
      rounds: profile.rounds,
      roundSeconds: profile.roundSeconds,
      customersAndSkus: CUSTOMERS,
      orderShape: '1 line, quantity 1, price 100 cents, country US; one SKU and one customer per slot',
      cancellationWindowMs: 0,
      carrier: { failureRate: 0, latencyMs: 0 },
    },
  };
}

export const environment: Section = {
  name: 'environment',
  async run(ctx) {
    ctx.results.versions = await versions(ctx);
    ctx.results.settings = await settings(ctx);
  },
};
