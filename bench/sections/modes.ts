/**
 * The two saga modes in the same run: orchestration (one Temporal workflow per order) and choreography (no
 * workflow; the services react to each other's events on the bus), both placed through POST /orders with
 * `"coordination"` and both run to completion by one definition (bench/lib/orders-by-mode.ts: the order's
 * terminal event in orders.events). Closed loops in `coordinationRounds` interleaved rounds (A B, B A, …);
 * around every run the stack is left to finish its bus work, then the Postgres commits
 * (pg_stat_database.xact_commit) and the messages on the bus (end offsets of the event topics) are read, so
 * each mode gets both per order. Ratios: choreography ÷ orchestration, the median of the per-round ratios.
 */
import type { Section } from '../lib/context';
import { busCounter } from '../lib/bus-counts';
import { interleaved } from '../lib/interleave';
import { orderInMode, watchCompletions } from '../lib/orders-by-mode';
import { pgCounters } from '../lib/pg-counters';
import { skuOf } from '../lib/seed';
import { pairedRatioWhereBoth, round } from '../lib/stats';
import { addRatios } from '../report/result';
import { stackCpu } from './closed-loop';

const MODES = ['orchestration', 'choreography'] as const;

const METHOD =
  'POST /orders with "coordination" (one SKU and customer per in-flight slot), then the bench waits for the ' +
  "order's terminal event in orders.events (polled every 20 ms for all orders in flight); latency = POST sent → " +
  'terminal event seen; only OrderCompleted counts. Closed loops in interleaved rounds (A B, B A, …); figures ' +
  'merged over the rounds, ratios the median of the per-round ratios. Per run, outside its timing: wait until ' +
  'every outbox row is delivered and the read-model consumer groups have no lag (≤ 30 s), then read ' +
  "pg_stat_database.xact_commit (minus the bench's own polls) and the summed end offsets of the <service>.events " +
  'topics; ÷ the orders completed in the run (ramp and drain included). Statistics of idle Postgres backends reach ' +
  "pg_stat_database up to 10 s late, so a short run's commits per order are approximate. " +
  "postgresCommitsPerOrderNetOfIdle: the same less the idle stack's commits/s (measured before the runs, no " +
  "orders in flight) × each run's duration; idle polls partly give way to real work under load, so the net " +
  'figure is a lower estimate and the raw one an upper.';

export const modes: Section = {
  name: 'modes',
  async run(ctx) {
    const { profile } = ctx;
    ctx.say(
      `coordination modes: ${MODES.join(' vs ')}, ${profile.coordinationRounds} rounds × ${profile.coordinationSeconds}s at ${profile.concurrency} in flight`,
    );
    const watch = watchCompletions(ctx.pool);
    const bus = busCounter(ctx.stack.kafkaBrokers, ctx.pool);
    const totals = Object.fromEntries(
      MODES.map((m) => [m, { commits: 0, idleCommits: 0, messages: 0, units: 0 }]),
    );
    let mark = { commits: 0, messages: 0, ownQueries: 0, at: 0 };
    let unsettled = 0;
    const ownQueries = () => watch.queries();
    try {
      // the stack's own commits when no order runs (relay polls, schedulers, sweeps, health checks)
      await bus.settle();
      const idle0 = { commits: (await pgCounters(ctx.pool)).commits, at: performance.now() };
      await new Promise((r) => setTimeout(r, profile.costIdleSeconds * 1000));
      const idleSeconds = (performance.now() - idle0.at) / 1000;
      const idlePerSecond = ((await pgCounters(ctx.pool)).commits - idle0.commits - 1) / idleSeconds;
      const around = {
        async before() {
          const s = await bus.settle();
          if (!s.settled) unsettled++;
          mark = {
            commits: (await pgCounters(ctx.pool)).commits,
            messages: await bus.messages(),
            ownQueries: ownQueries() + 2, // the two pgCounters queries
            at: performance.now(),
          };
        },
        async after(kind: string, units: number) {
          const s = await bus.settle();
          if (!s.settled) unsettled++;
          const commits = (await pgCounters(ctx.pool)).commits;
          const t = totals[kind]!;
          t.commits += commits - mark.commits - (ownQueries() - mark.ownQueries) - s.queries;
          t.idleCommits += (idlePerSecond * (performance.now() - mark.at)) / 1000;
          t.messages += (await bus.messages()) - mark.messages;
          t.units += units;
        },
      };
      const deps = { stack: ctx.stack, adminToken: ctx.adminToken, watch };
      const { results, rounds, cpu } = await interleaved(
        MODES.map((m) => ({ name: m, op: orderInMode(deps, m, skuOf) })),
        {
          concurrency: profile.concurrency,
          rounds: profile.coordinationRounds,
          roundSeconds: profile.coordinationSeconds,
          rampSeconds: profile.rampSeconds,
          say: ctx.say,
          around,
        },
        await stackCpu(ctx),
      );
      const per = (m: string) => {
        const t = totals[m]!;
        return {
          postgresCommitsPerOrder: round(t.commits / Math.max(1, t.units), 1),
          postgresCommitsPerOrderNetOfIdle: round((t.commits - t.idleCommits) / Math.max(1, t.units), 1),
          busMessagesPerOrder: round(t.messages / Math.max(1, t.units), 2),
          ordersCounted: t.units,
        };
      };
      const perMode = Object.fromEntries(
        MODES.map((m) => [
          m,
          {
            closedLoop: { ...results[m]!, perRound: rounds.map((r) => r[m]!.perSecond) },
            ...per(m),
            ...(cpu ? { cpuMsPerOrder: cpu[m] } : {}),
          },
        ]),
      );
      const paired = (pick: (m: string, r: number) => number) =>
        pairedRatioWhereBoth(
          rounds.map((_, r) => pick('choreography', r)),
          rounds.map((_, r) => pick('orchestration', r)),
        );
      const ratio = {
        ordersPerSecond: paired((m, r) => rounds[r]![m]!.perSecond),
        p50: paired((m, r) => rounds[r]![m]!.p50Ms),
        p99: paired((m, r) => rounds[r]![m]!.p99Ms),
        postgresCommitsPerOrder: round(
          per('choreography').postgresCommitsPerOrder /
            Math.max(0.1, per('orchestration').postgresCommitsPerOrder),
          3,
        ),
        postgresCommitsPerOrderNetOfIdle: round(
          per('choreography').postgresCommitsPerOrderNetOfIdle /
            Math.max(0.1, per('orchestration').postgresCommitsPerOrderNetOfIdle),
          3,
        ),
        busMessagesPerOrder: round(
          per('choreography').busMessagesPerOrder / Math.max(0.01, per('orchestration').busMessagesPerOrder),
          3,
        ),
      };
      ctx.results.modes = {
        method: METHOD,
        concurrency: profile.concurrency,
        idleCommitsPerSecond: round(idlePerSecond, 1),
        ...(unsettled > 0 ? { unsettledWaits: unsettled } : {}),
        ...perMode,
        choreographyOverOrchestration: ratio,
      };
      addRatios(ctx.results, {
        choreographyOverOrchestration: {
          ordersPerSecond: ratio.ordersPerSecond?.median ?? null,
          p50: ratio.p50?.median ?? null,
          p99: ratio.p99?.median ?? null,
          postgresCommitsPerOrder: ratio.postgresCommitsPerOrder,
          postgresCommitsPerOrderNetOfIdle: ratio.postgresCommitsPerOrderNetOfIdle,
          busMessagesPerOrder: ratio.busMessagesPerOrder,
        },
      });
      ctx.say(`  modes: ${JSON.stringify({ ...Object.fromEntries(MODES.map((m) => [m, per(m)])), ratio })}`);
    } finally {
      watch.stop();
      await bus.close();
    }
  },
};
