/**
 * The saga on the cluster profile beside the dev server, in one run (`npm run bench -- --cluster`): a second
 * stack with the cluster profile (two Temporal server nodes on its own Postgres behind one frontend address,
 * two API instances; launchStack `cluster`) started with one worker process per queue; then, for each point
 * of `profile.workersPerQueue` (1, 2, 4), worker processes are added to it per queue (as WORKERS_PER_QUEUE
 * starts them) and the saga's closed loop runs on the dev server's stack and on the cluster interleaved
 * (dev, cluster, cluster, dev), so every ratio cluster ÷ dev server is a same-run ratio. The dev server's stack
 * keeps its one worker process per queue and one API instance throughout.
 */
import type { Stack } from '../../src/platform/stack';
import type { BenchContext, Section } from '../lib/context';
import { interleaved } from '../lib/interleave';
import { closedLoop, type LoadResult } from '../lib/load';
import { startSideStack } from '../lib/side-stack';
import { round } from '../lib/stats';
import type { Workloads } from '../lib/workloads';
import { startWorkerSet, waitHealthy } from './workers-per-queue';

export interface ClusterPoint {
  workersPerQueue: number;
  devServer: LoadResult;
  cluster: LoadResult;
  /** cluster ÷ dev server: orders/s, p50, p99 */
  ratio: { perSecond: number; p50: number; p99: number };
}

async function startCluster(ctx: BenchContext): Promise<{ stack: Stack; load: Workloads }> {
  return startSideStack(ctx, { name: 'cluster', env: { WORKERS_PER_QUEUE: '1' }, cluster: true });
}

const ratioOf = (c: LoadResult, d: LoadResult) => ({
  perSecond: round(c.perSecond / Math.max(d.perSecond, 1e-9), 2),
  p50: round(c.p50Ms / Math.max(d.p50Ms, 1e-9), 2),
  p99: round(c.p99Ms / Math.max(d.p99Ms, 1e-9), 2),
});

export const cluster: Section = {
  name: 'cluster',
  async run(ctx) {
    const { profile } = ctx;
    const { stack, load } = await startCluster(ctx);
    ctx.say('cluster: warm-up (first saga, then a short closed loop)');
    await load.saga(0, -1);
    await closedLoop(load.saga, { concurrency: profile.concurrency, seconds: profile.warmupSeconds });
    const points: ClusterPoint[] = [];
    let running = 1;
    for (const n of profile.workersPerQueue) {
      const ports: number[] = [];
      while (running < n) ports.push(...(await startWorkerSet(ctx, ++running, stack)));
      for (const port of ports) await waitHealthy(`http://127.0.0.1:${port}/health`, 120_000);
      ctx.say(
        `cluster: ${n} worker process(es) per queue, saga closed loop on the dev server and the cluster`,
      );
      const { results } = await interleaved(
        [
          { name: 'dev', op: ctx.load.saga },
          { name: 'cluster', op: load.saga },
        ],
        { ...profile, say: ctx.say },
        () => undefined,
      );
      const [devServer, onCluster] = [results.dev!, results.cluster!];
      points.push({
        workersPerQueue: n,
        devServer,
        cluster: onCluster,
        ratio: ratioOf(onCluster, devServer),
      });
      ctx.say(`  ratio cluster ÷ dev server: ${JSON.stringify(points.at(-1)!.ratio)}`);
    }
    ctx.results.cluster = {
      method:
        'the saga closed loop (POST /orders through the gateway, the Temporal client awaits the result; only ' +
        'COMPLETED counts) at the same concurrency on the dev server stack (1 worker per queue, 1 API) and on ' +
        'the cluster profile (2 Temporal server nodes on Postgres behind one frontend address, 2 API instances ' +
        'taking alternate slots, workersPerQueue worker processes per queue), interleaved dev, cluster, ' +
        'cluster, dev; both stacks run on the same machine at the same time',
      topology: {
        temporalNodes: stack.cluster?.nodes.length,
        apiInstances: stack.apiUrls.length,
        serverVersion: stack.cluster?.serverVersion,
      },
      concurrency: profile.concurrency,
      points,
    };
  },
};
