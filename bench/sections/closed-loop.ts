/**
 * The closed loop: saga, bare and stubbed in `profile.rounds` interleaved rounds (A B C, C B A, A B C, …) at
 * `profile.concurrency` in flight, with the CPU per order of every process group and the saga's Postgres
 * work per order over the same phase. The bare workflow runs the saga's shape (results.sagaShape). Writes
 * saga, bareTemporal, stubbedSaga (their closedLoop: the rounds merged, and `perRound`, each round's rate,
 * from which the ratios section takes same-round ratios) and cpuPerOrder; what the loop recorded
 * (`ctx.load.recorded`: its orders and workflow times) is what projectionLag and breakdown read.
 */
import { postmasterPid } from '../../src/platform/postgres';
import type { BenchContext, Section } from '../lib/context';
import { cpuSnapshot, type CpuSnapshot } from '../lib/cpu';
import { interleaved } from '../lib/interleave';
import { pgCounters, pgPerOrder } from '../lib/pg-counters';
import { need } from '../report/result';

/** A reader of the CPU used so far by the stack's supervised processes and its Postgres. */
export async function stackCpu(ctx: BenchContext): Promise<() => CpuSnapshot | undefined> {
  const { stack } = ctx;
  const postmaster = stack.postgres ? await postmasterPid(stack.postgres.dataDir) : undefined;
  return () =>
    cpuSnapshot(
      stack.supervisor.names().map((name) => ({ name, pid: stack.supervisor.pid(name) })),
      postmaster,
    );
}

export const closedLoop: Section = {
  name: 'closedLoop',
  async run(ctx) {
    const { load, profile } = ctx;
    const shape = need(ctx.results, 'sagaShape');
    load.reset(); // from here on, the recordings are this phase's
    ctx.say(
      `closed loop: ${profile.concurrency} in flight, ${profile.rounds} rounds × (${profile.rampSeconds}s ramp + ${profile.roundSeconds}s counted) per kind (A B C, C B A, …)`,
    );
    const pgBefore = await pgCounters(ctx.pool);
    const ordersBefore = load.ordersSubmitted();
    const {
      results: closed,
      rounds,
      cpu: cpuByKind,
    } = await interleaved(
      [
        { name: 'saga', op: load.saga },
        { name: 'bare', op: load.bare(shape.steps) },
        { name: 'stubbed', op: load.stubbed },
      ],
      { ...profile, say: ctx.say },
      await stackCpu(ctx),
    );
    if (cpuByKind) ctx.say(`  CPU ms per order: ${JSON.stringify(cpuByKind)}`);
    const pgAfter = await pgCounters(ctx.pool);
    const postgresPerOrder = {
      method:
        'pg_stat_database.xact_commit and pg_stat_wal over the interleaved closed-loop phase ÷ orders submitted in it (bare and stubbed runs do not touch Postgres; the relay, projections and health checks do)',
      ...pgPerOrder(pgBefore, pgAfter, Math.max(1, load.ordersSubmitted() - ordersBefore)),
    };
    ctx.say(`  Postgres per order: ${JSON.stringify(postgresPerOrder)}`);
    const concurrency = profile.concurrency;
    const loop = (kind: string) => ({
      concurrency,
      ...closed[kind]!,
      perRound: rounds.map((r) => r[kind]!.perSecond),
    });
    ctx.results.saga = {
      method:
        'POST /orders through the gateway (admin token, Idempotency-Key), then the Temporal client awaits the ' +
        'workflow result (push: a long-poll on the history, no polling of the API); only COMPLETED counts',
      activities: shape.activities,
      localActivities: shape.localActivities,
      closedLoop: loop('saga'),
      postgresPerOrder,
    };
    ctx.results.bareTemporal = {
      method:
        "bareWorkflow (bench/workflows/bare.ts): the saga's steps (results.sagaShape: the same activities on the " +
        'same task queue names and the same local activities, in the same order), no-op, saga forward-step ' +
        'options; started by the Temporal client in namespace "bench" of the same dev server; 4 bench worker ' +
        'processes (one per queue) with the production worker options',
      activities: shape.activities,
      localActivities: shape.localActivities,
      closedLoop: loop('bare'),
    };
    ctx.results.stubbedSaga = {
      method:
        'the real orderSaga workflow code (same start options as the gateway) with no-op activities registered ' +
        'under the real names, on the bench workers; started by the Temporal client (no gateway)',
      closedLoop: loop('stubbed'),
    };
    ctx.results.cpuPerOrder = cpuByKind
      ? {
          method:
            'user + system CPU of each process group (Linux /proc) around every closed-loop run (kind and round), ÷ the units ' +
            'completed in it (ramp and drain included); milliseconds per order. serviceWorkers: the four ' +
            'production worker processes (saga, activities, outbox relays, projections); benchWorkers: the ' +
            'bench-only workers (bare and stubbed); postgres: the postmaster and all its backends',
          ...cpuByKind,
        }
      : 'unavailable (no /proc)';
  },
};
