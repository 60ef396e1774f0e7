/**
 * Saga throughput against production worker processes per queue (`profile.workersPerQueue`): extra worker
 * processes started into the running stack, as WORKERS_PER_QUEUE does; one per queue is the stack as
 * launched, i.e. the closed loop's saga figure. The extra processes stop when the bench stops.
 */
import { freePort } from '../../src/platform/postgres';
import { entry, SERVICES, type Stack } from '../../src/platform/stack';
import type { BenchContext, Section } from '../lib/context';
import { closedLoop } from '../lib/load';
import { need } from '../report/result';

export async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms`);
}

/** Starts worker process number `n` for every queue of `stack`; returns their metrics ports. */
export async function startWorkerSet(
  ctx: BenchContext,
  n: number,
  stack: Stack = ctx.stack,
): Promise<number[]> {
  ctx.say(`starting a worker process #${n} per queue`);
  const ports: number[] = [];
  for (const service of SERVICES) {
    const port = await freePort();
    ports.push(port);
    const name = `${service}-bench-${n}`;
    stack.supervisor.start({
      name,
      ...entry(`workers/${service}`),
      env: {
        TEMPORAL_ADDRESS: stack.temporalAddress,
        DATABASE_URL: stack.databaseUrl,
        AUTH_JWT_SECRET: stack.jwtSecret,
        // this stack's bus and carrier (the bench process's env is the first stack's)
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        CARRIER_URL: stack.config.carrier.url,
        WORKER_METRICS_PORT: String(port),
        // its own free port too: metrics port + 1000 (the default) can be an ephemeral port in use
        WORKER_SDK_METRICS_PORT: String(await freePort()),
      },
    });
    ctx.onClose(() => stack.supervisor.stop(name));
  }
  return ports;
}

export const workersPerQueue: Section = {
  name: 'workersPerQueue',
  async run(ctx) {
    const { profile } = ctx;
    const { concurrency: _concurrency, ...sagaClosed } = need(ctx.results, 'saga').closedLoop;
    const points = [];
    let running = 1;
    for (const n of profile.workersPerQueue) {
      const ports: number[] = [];
      while (running < n) ports.push(...(await startWorkerSet(ctx, ++running)));
      for (const port of ports) await waitHealthy(`http://127.0.0.1:${port}/health`, 120_000);
      if (n === 1) {
        points.push({ workersPerQueue: 1, ...sagaClosed });
        continue;
      }
      const r = await closedLoop(ctx.load.saga, {
        concurrency: profile.concurrency,
        seconds: profile.workersSeconds,
        rampSeconds: profile.rampSeconds,
      });
      ctx.say(`  ${n} worker process(es) per queue: ${r.perSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      points.push({ workersPerQueue: n, ...r });
    }
    need(ctx.results, 'costGrowth').workersPerQueue = {
      method:
        'extra production worker processes per queue started into the running stack (same as WORKERS_PER_QUEUE); saga closed loop',
      points,
    };
  },
};
