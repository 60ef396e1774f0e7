/**
 * The saga's throughput with and without the bus, in one run. A second stack (the dev server profile: its
 * own Postgres, Temporal dev server, carrier, API and four worker processes) is started with
 * BUS_ENABLED=false: no broker, the relays feed only the Postgres read models, no consumer group runs. The
 * saga's closed loop then runs on the bench's stack (the bus on: relay → Kafka, the timeline and demand
 * consumer groups, the choreography reactions idle) and on that one, interleaved with, without, without,
 * with, … so that each round gives a same-round ratio; the median and the spread of the rounds are reported.
 * Both stacks run on the machine throughout: while one is measured the other idles (its relays poll, the
 * idle stack with the bus also keeps its broker), which both sides pay alike. The second stack stops at the
 * end of the section, before the sections that follow.
 */
import type { Section } from '../lib/context';
import { interleaved } from '../lib/interleave';
import { closedLoop } from '../lib/load';
import { startSideStack } from '../lib/side-stack';
import { pairedRatioWhereBoth } from '../lib/stats';
import { addRatios } from '../report/result';

const METHOD =
  'the saga closed loop (POST /orders through the gateway, the Temporal client awaits the result; only COMPLETED ' +
  "counts) at the same concurrency on the bench's stack (the bus on) and on a second dev-server stack started " +
  'with BUS_ENABLED=false (no Kafka sink, no consumer groups), interleaved with, without, without, with, …; ' +
  'ratio = with ÷ without per round (orders/s; p50 latency), median and spread of the rounds';

export const withoutBus: Section = {
  name: 'withoutBus',
  async run(ctx) {
    const { profile } = ctx;
    const side = await startSideStack(ctx, { name: 'without-bus', env: { BUS_ENABLED: 'false' } });
    try {
      if (side.stack.kafkaBrokers.length > 0 || side.stack.supervisor.pid('kafka') !== undefined) {
        throw new Error('without-bus: the second stack has a bus (BUS_ENABLED=false was not applied)');
      }
      ctx.say('without-bus: warm-up (first saga, then a short closed loop)');
      await side.load.saga(0, -1);
      await closedLoop(side.load.saga, { concurrency: profile.concurrency, seconds: profile.warmupSeconds });
      const { results, rounds } = await interleaved(
        [
          { name: 'withBus', op: ctx.load.saga },
          { name: 'withoutBus', op: side.load.saga },
        ],
        { ...profile, say: ctx.say },
        () => undefined,
      );
      const pick = (kind: string, k: 'perSecond' | 'p50Ms') => rounds.map((r) => r[kind]![k]);
      // null when no round measured both sides (a short window on a loaded machine)
      const perSecond = pairedRatioWhereBoth(pick('withBus', 'perSecond'), pick('withoutBus', 'perSecond'));
      const p50 = pairedRatioWhereBoth(pick('withBus', 'p50Ms'), pick('withoutBus', 'p50Ms'));
      ctx.results.withoutBus = {
        method: METHOD,
        concurrency: profile.concurrency,
        withBus: results.withBus,
        withoutBus: results.withoutBus,
        withOverWithout: { perSecond, p50 },
      };
      ctx.say(
        `  saga with the bus ${results.withBus!.perSecond}/s, without ${results.withoutBus!.perSecond}/s: ` +
          `with ÷ without ${perSecond?.median ?? 'n/a'} (rounds ${perSecond?.rounds.join(', ') ?? 'none'})`,
      );
      addRatios(ctx.results, { sagaWithBusOverWithout: perSecond?.median ?? null });
    } finally {
      await side.stop();
    }
  },
};
