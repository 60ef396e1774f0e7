/**
 * Warm-up: the first unit of each kind waits for bundles, caches and JIT (the first saga ran in sagaShape);
 * then a short closed loop each.
 */
import type { Section } from '../lib/context';
import { closedLoop } from '../lib/load';
import { need } from '../report/result';

export const warmUp: Section = {
  name: 'warmUp',
  async run(ctx) {
    const { load, profile } = ctx;
    const { steps } = need(ctx.results, 'sagaShape');
    ctx.say('warm-up (first bare and stubbed runs)');
    await load.bare(steps)(0, -1);
    await load.stubbed(0, -1);
    for (const [name, op] of [
      ['saga', load.saga],
      ['bare', load.bare(steps)],
      ['stubbed', load.stubbed],
    ] as const) {
      await closedLoop(op, { concurrency: profile.concurrency, seconds: profile.warmupSeconds });
      ctx.say(`  warmed ${name}`);
    }
  },
};
