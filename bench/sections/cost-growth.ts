/**
 * Cost growth: bare workflows with 1, 3, 6, 9 steps (`profile.growthActivities`, cycled from the saga's
 * shape), one at a time, and a least-squares line of p50 against the number of steps. The saga's step count
 * is fixed, so no fit.
 */
import type { Section } from '../lib/context';
import { leastSquares, round, summarize } from '../lib/stats';
import { cycleSteps } from '../lib/workloads';
import { need } from '../report/result';

export const costGrowth: Section = {
  name: 'costGrowth',
  async run(ctx) {
    const { profile } = ctx;
    const shape = need(ctx.results, 'sagaShape');
    ctx.say(`cost growth: bare workflow with ${profile.growthActivities.join('/')} steps, sequential`);
    const points = [];
    for (const n of profile.growthActivities) {
      const lat: number[] = [];
      for (let i = 0; i < profile.growthSamples; i++) {
        const t = performance.now();
        await ctx.load.bare(cycleSteps(shape.steps, n))(0, i);
        lat.push(performance.now() - t);
      }
      const s = summarize(lat);
      ctx.say(`  ${n} steps: p50 ${s.p50Ms} ms`);
      points.push({ activities: n, ...s });
    }
    const fit = leastSquares(
      points.map((p) => p.activities),
      points.map((p) => p.p50Ms),
    );
    ctx.results.costGrowth = {
      bare: {
        method: `p50 of ${profile.growthSamples} sequential bare workflows per point (n steps cycled from the saga's shape); least-squares line`,
        points,
        msPerActivity: round(fit.slope, 2),
        interceptMs: round(fit.intercept, 1),
        r2: round(fit.r2, 3),
      },
      saga: {
        feasible: false,
        reason: `the saga has a fixed number of steps (${shape.steps.length} on the happy path); varying it needs a step-count knob in the workflow`,
      },
    };
  },
};
