/**
 * The same-run ratios: saga ÷ bare, stubbed ÷ bare and full ÷ stubbed, each the median of its per-round
 * ratios (the two sides run next to each other in every interleaved round of the closed loop), with the
 * rounds' values and spread; the ratio of the merged rates stays as `sagaOverheadPooled`. And the event
 * store's append ÷ plain-INSERT rate (its lowest over the writer levels is `eventStoreEfficiency`) and ÷
 * Emmett's (`vsEmmett`, per writer count and the lowest). Waits for
 * work left in the background (the event store child in short mode) first.
 */
import type { Section } from '../lib/context';
import { pairedRatio, round } from '../lib/stats';
import { addRatios, need } from '../report/result';

export const ratios: Section = {
  name: 'ratios',
  async run(ctx) {
    await ctx.settle();
    const saga = need(ctx.results, 'saga').closedLoop;
    const bare = need(ctx.results, 'bareTemporal').closedLoop;
    const stubbed = need(ctx.results, 'stubbedSaga').closedLoop;
    const sagaOverheadRounds = pairedRatio(saga.perRound, bare.perRound);
    const stubbedOverBareRounds = pairedRatio(stubbed.perRound, bare.perRound);
    const fullOverStubbedRounds = pairedRatio(saga.perRound, stubbed.perRound);
    const { levels } = need(ctx.results, 'eventStore');
    const byWriters = (pick: (l: (typeof levels)[number]) => number | null) =>
      Object.fromEntries(levels.map((l) => [l.writers, pick(l)]));
    addRatios(ctx.results, {
      sagaOverhead: sagaOverheadRounds.median,
      stubbedOverBare: stubbedOverBareRounds.median,
      fullOverStubbed: fullOverStubbedRounds.median,
      sagaOverheadRounds,
      stubbedOverBareRounds,
      fullOverStubbedRounds,
      sagaOverheadPooled: round(saga.perSecond / bare.perSecond, 3),
      eventStoreEfficiency: round(Math.min(...levels.map((l) => l.ratio)), 3),
      vsEmmett: {
        ...byWriters((l) => l.vsEmmett),
        min: round(Math.min(...levels.map((l) => l.vsEmmett)), 3),
      },
      eventStoreWithOutboxEfficiencyByWriters: byWriters((l) => l.withOutboxRatio),
      eventStoreEfficiencyByWriters: byWriters((l) => l.ratio),
      eventStoreWithoutGroupCommitEfficiencyByWriters: byWriters((l) => l.withoutGroupCommitRatio),
      targets: { sagaOverhead: 0.8, eventStoreEfficiency: 0.7, vsEmmett: 1 },
    });
  },
};
