/** Where the closed loop's time went, per kind: activity queue wait vs run time, from workflow histories. */
import type { Section } from '../lib/context';
import { historyBreakdown } from '../lib/history';
import { need } from '../report/result';

export const breakdown: Section = {
  name: 'breakdown',
  async run(ctx) {
    const { recorded } = ctx.load;
    ctx.say('saga breakdown from workflow histories (sample of the closed loop + the slowest)');
    need(ctx.results, 'saga').breakdown = await historyBreakdown(ctx.client, recorded.saga);
    need(ctx.results, 'bareTemporal').breakdown = await historyBreakdown(ctx.benchClient, recorded.bare);
    need(ctx.results, 'stubbedSaga').breakdown = await historyBreakdown(ctx.benchClient, recorded.stubbed);
  },
};
