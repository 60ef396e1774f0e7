/**
 * The saga against two-phase and three-phase commit (Postgres prepared transactions, coordinated by a
 * Temporal workflow) in the same run, on two workloads: `spread` (one SKU per in-flight slot, as the saga's
 * closed loop) and `hot` (every order on one SKU). Each order is placed through POST /orders with
 * `"coordination"` and run to its terminal event (bench/lib/orders-by-mode.ts), in closed loops of
 * interleaved rounds (saga, 2pc, 3pc · 3pc, 2pc, saga · …) per workload.
 *
 * Lock wait is sampled: every 10 ms one query counts the backends of the stack's database that wait for a
 * heavyweight lock (pg_stat_activity.wait_event_type = 'Lock', advisory locks left out: the relays' leader
 * election); samples × the measured interval = backend-milliseconds spent waiting, ÷ the orders completed in
 * the run. A sample sees a wait in proportion to its length, so the sum estimates total waiting time without
 * bias; waits are counted by kind (transactionid: a row locked by another transaction, prepared ones
 * included; tuple; relation; …).
 */
import type { Pool } from 'pg';
import type { BenchContext, Section } from '../lib/context';
import { interleaved } from '../lib/interleave';
import type { LoadResult } from '../lib/load';
import { orderInMode, watchCompletions } from '../lib/orders-by-mode';
import { skuOf } from '../lib/seed';
import { pairedRatioWhereBoth, round } from '../lib/stats';
import { addRatios } from '../report/result';

const MODES = ['orchestration', '2pc', '3pc'] as const;
const WORKLOADS = {
  spread: (slot: number) => skuOf(slot),
  hot: () => skuOf(0),
} as const;

const METHOD =
  'POST /orders with "coordination" = orchestration (the saga), 2pc or 3pc, then the bench waits for the ' +
  "order's terminal event in orders.events (polled every 20 ms); latency = POST sent → terminal event seen; only " +
  'OrderCompleted counts. spread: SKU i and customer i for in-flight slot i; hot: every order on one SKU ' +
  '(customer i per slot). Closed loops in interleaved rounds per workload; ratios = mode ÷ saga, the median of the ' +
  "per-round ratios. lockWaitMsPerOrder: pg_stat_activity sampled every 10 ms (backends with wait_event_type 'Lock', " +
  'advisory locks excluded), samples × measured interval ÷ orders completed in the run (ramp and drain included)';

/** Samples lock waits while running; `take()` returns the backend-ms waited since the last take, by kind. */
function lockWaitSampler(pool: Pool, intervalMs = 10) {
  let byKind: Record<string, number> = {};
  let stopped = false;
  let last = performance.now();
  const loop = async () => {
    while (!stopped) {
      const r = await pool
        .query<{ kind: string; n: string }>(
          `SELECT wait_event AS kind, count(*) AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND wait_event <> 'advisory' AND datname = current_database()
            GROUP BY wait_event`,
        )
        .catch(() => ({ rows: [] }));
      const now = performance.now();
      const dt = now - last;
      last = now;
      for (const row of r.rows) byKind[row.kind] = (byKind[row.kind] ?? 0) + Number(row.n) * dt;
      await new Promise((res) => setTimeout(res, intervalMs));
    }
  };
  const done = loop();
  return {
    take(): Record<string, number> {
      const out = byKind;
      byKind = {};
      return out;
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function runWorkload(ctx: BenchContext, workload: keyof typeof WORKLOADS) {
  const { profile } = ctx;
  const watch = watchCompletions(ctx.pool);
  const sampler = lockWaitSampler(ctx.pool);
  const waits: Record<string, { ms: number; units: number; byKind: Record<string, number> }> =
    Object.fromEntries(MODES.map((m) => [m, { ms: 0, units: 0, byKind: {} }]));
  try {
    const deps = { stack: ctx.stack, adminToken: ctx.adminToken, watch };
    ctx.say(`atomic commit vs saga, ${workload} SKUs`);
    const { results, rounds } = await interleaved(
      MODES.map((m) => ({ name: m, op: orderInMode(deps, m, WORKLOADS[workload]) })),
      {
        concurrency: profile.concurrency,
        rounds: profile.coordinationRounds,
        roundSeconds: profile.coordinationSeconds,
        rampSeconds: profile.rampSeconds,
        say: ctx.say,
        around: {
          before: () => {
            sampler.take();
            return Promise.resolve();
          },
          after: (kind, units) => {
            const w = waits[kind]!;
            for (const [k, ms] of Object.entries(sampler.take())) {
              w.byKind[k] = (w.byKind[k] ?? 0) + ms;
              w.ms += ms;
            }
            w.units += units;
            return Promise.resolve();
          },
        },
      },
      () => undefined,
    );
    const perMode = Object.fromEntries(
      MODES.map((m) => {
        const w = waits[m]!;
        const perOrder = (ms: number) => round(ms / Math.max(1, w.units), 1);
        return [
          m,
          {
            closedLoop: { ...results[m]!, perRound: rounds.map((r) => r[m]!.perSecond) },
            /** every order of the mode that completed in its runs, ramp and drain included */
            ordersCompleted: w.units,
            lockWaitMsPerOrder: perOrder(w.ms),
            lockWaitMsPerOrderByKind: Object.fromEntries(
              Object.entries(w.byKind).map(([k, ms]) => [k, perOrder(ms)]),
            ),
          },
        ];
      }),
    );
    const vsSaga = (m: string, pick: (r: LoadResult) => number) =>
      pairedRatioWhereBoth(
        rounds.map((r) => pick(r[m]!)),
        rounds.map((r) => pick(r.orchestration!)),
      );
    const ratios = Object.fromEntries(
      MODES.filter((m) => m !== 'orchestration').map((m) => [
        m,
        {
          ordersPerSecond: vsSaga(m, (r) => r.perSecond),
          p50: vsSaga(m, (r) => r.p50Ms),
          p99: vsSaga(m, (r) => r.p99Ms),
        },
      ]),
    );
    return { ...perMode, overSaga: ratios };
  } finally {
    watch.stop();
    await sampler.stop();
  }
}

export const atomic: Section = {
  name: 'atomic',
  async run(ctx) {
    const spread = await runWorkload(ctx, 'spread');
    const hot = await runWorkload(ctx, 'hot');
    ctx.results.atomic = { method: METHOD, concurrency: ctx.profile.concurrency, spread, hot };
    const medians = (w: typeof spread) =>
      Object.fromEntries(
        Object.entries(w.overSaga).map(([m, r]) => [
          m,
          {
            ordersPerSecond: r.ordersPerSecond?.median ?? null,
            p50: r.p50?.median ?? null,
            p99: r.p99?.median ?? null,
          },
        ]),
      );
    addRatios(ctx.results, { atomicOverSaga: { spread: medians(spread), hot: medians(hot) } });
    ctx.say(`  atomic ÷ saga: ${JSON.stringify({ spread: medians(spread), hot: medians(hot) })}`);
  },
};
