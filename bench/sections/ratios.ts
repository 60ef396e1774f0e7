/**
 * The same-run ratios: saga ÷ bare = stubbed ÷ bare × full ÷ stubbed (closed loop), and the event store's
 * append ÷ plain-INSERT rate (its lowest over the writer levels is `eventStoreEfficiency`). Waits for work
 * left in the background (the event store child in short mode) first.
 */
import type { Section } from '../lib/context';
import { round } from '../lib/stats';
import { addRatios, need } from '../report/result';

export const ratios: Section = {
  name: 'ratios',
  async run(ctx) {
    await ctx.settle();
    const saga = need(ctx.results, 'saga').closedLoop.perSecond;
    const bare = need(ctx.results, 'bareTemporal').closedLoop.perSecond;
    const stubbed = need(ctx.results, 'stubbedSaga').closedLoop.perSecond;
    const { levels } = need(ctx.results, 'eventStore');
    const byWriters = (pick: (l: (typeof levels)[number]) => number | null) =>
      Object.fromEntries(levels.map((l) => [l.writers, pick(l)]));
    addRatios(ctx.results, {
      sagaOverhead: round(saga / bare, 3),
      stubbedOverBare: round(stubbed / bare, 3),
      fullOverStubbed: round(saga / stubbed, 3),
      eventStoreEfficiency: round(Math.min(...levels.map((l) => l.ratio)), 3),
      eventStoreWithOutboxEfficiencyByWriters: byWriters((l) => l.withOutboxRatio),
      eventStoreEfficiencyByWriters: byWriters((l) => l.ratio),
      eventStoreWithoutGroupCommitEfficiencyByWriters: byWriters((l) => l.withoutGroupCommitRatio),
      targets: { sagaOverhead: 0.8, eventStoreEfficiency: 0.7 },
    });
  },
};
