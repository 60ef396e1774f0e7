/** Warm-up: the first unit of each kind waits for bundles, caches and JIT; then a short closed loop each. */
import type { Section } from '../lib/context';
import { closedLoop } from '../lib/load';
import { SAGA_ACTIVITIES } from '../lib/workloads';

export const warmUp: Section = {
  name: 'warmUp',
  async run(ctx) {
    const { load, profile } = ctx;
    ctx.say('warm-up (first saga, bare and stubbed runs)');
    await load.saga(0, -1);
    await load.bare(SAGA_ACTIVITIES)(0, -1);
    await load.stubbed(0, -1);
    for (const [name, op] of [
      ['saga', load.saga],
      ['bare', load.bare(SAGA_ACTIVITIES)],
      ['stubbed', load.stubbed],
    ] as const) {
      await closedLoop(op, { concurrency: profile.concurrency, seconds: profile.warmupSeconds });
      ctx.say(`  warmed ${name}`);
    }
  },
};
