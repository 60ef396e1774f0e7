/**
 * The saga's open-loop ladder: fixed arrival rates at fractions of the closed-loop throughput, latency from
 * each order's intended start; the knee is the highest rate that keeps up with a bounded p50.
 */
import type { Section } from '../lib/context';
import { openLoop as runOpenLoop, type OpenLoopResult } from '../lib/load';
import { kneeOf, round } from '../lib/stats';
import { need } from '../report/result';

export const openLoop: Section = {
  name: 'openLoop',
  async run(ctx) {
    const { profile } = ctx;
    const saga = need(ctx.results, 'saga');
    const base = Math.max(0.5, saga.closedLoop.perSecond);
    const rungs: OpenLoopResult[] = [];
    for (const f of profile.ladder) {
      const rate = round(base * f, 2);
      ctx.say(`open loop: ${rate}/s for ${profile.rungSeconds}s`);
      const r = await runOpenLoop(ctx.load.sagaOpen, {
        rate,
        seconds: profile.rungSeconds,
        drainSeconds: Math.max(15, profile.rungSeconds * 2),
      });
      ctx.say(
        `  offered ${r.offeredPerSecond}/s → ${r.perSecond}/s completed, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.failed} failed, ${r.unfinished} unfinished`,
      );
      rungs.push(r);
    }
    saga.openLoop = {
      method:
        'order i is due at start + i/rate; latency from that intended start; rates are fractions of the closed-loop throughput',
      rungs,
      kneePerSecond: kneeOf(rungs.map((r) => ({ ...r, completedPerSecond: r.perSecond }))) ?? null,
      kneeRule: 'highest offered rate with completions ≥ 90 % of offered and p50 ≤ 2 × the lowest rung',
    };
  },
};
