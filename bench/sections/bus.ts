/**
 * The bus under the saga load, against a bare producer → consumer on the same broker in the same run.
 * In each of `busRounds` rounds, two saga closed loops of `busSeconds` (after the ramp):
 *   A  the saga alone: orders/s, the bus's events/s (end offsets of the event topics before and after the
 *      loop ÷ its wall time), outbox commit → consumer apply latency (bench/lib/bus-latency.ts), and the CPU
 *      of the broker process per order beside the stack's total;
 *   B  the saga again with the bare hop beside it, sending at A's events/s with messages of the events' mean
 *      size: the bare latency and the stack's apply latency in the same window, under the same load.
 * Ratio = stack's apply latency ÷ bare hop latency (p50, p99) in B, the median of the rounds.
 *
 * The saga with and without the bus is the next section (sections/without-bus.ts: a second stack with
 * BUS_ENABLED=false, interleaved with this one). This one reports what the bus costs inside the stack: the
 * broker's CPU per order, and the saga's rate in A (alone) and B (with the bare hop's extra traffic).
 */
import { postmasterPid } from '../../src/platform/postgres';
import type { BenchContext, Section } from '../lib/context';
import { busCounter } from '../lib/bus-counts';
import { applyLagSampler, meanEventBytes, startBareHop } from '../lib/bus-latency';
import { cpuSnapshot, perOrder } from '../lib/cpu';
import { closedLoop, type LoadResult } from '../lib/load';
import { median, pairedRatioWhereBoth, round, summarize } from '../lib/stats';
import { addRatios } from '../report/result';

const METHOD =
  "per round: A = saga closed loop alone; B = the same with a bare producer → consumer beside it at A's bus rate. " +
  "busEventsPerSecond: Δ summed end offsets of the <service>.events topics ÷ the loop's wall time. applyLag: " +
  "<schema>.bus_checkpoints.updated_at (now() of the consumer's apply transaction, orders.timeline and " +
  'inventory.demand) − <schema>.events.recorded_at of that version (now() of the append that wrote the outbox ' +
  'row), Postgres clock, each checkpoint polled every 100 ms and sampled at every new version seen. bareHop: the ' +
  "project's producer (idempotent, serialised sends, one message per send) → a raw consumer-group member, same " +
  'broker, partitions, headers and mean value size; latency = received − handed to the producer (bench clock). ' +
  "ratio = applyLag ÷ bareHop (p50, p99) in B, median of rounds. brokerCpuMsPerOrder: the Kafka process's CPU " +
  '(/proc) over A ÷ orders completed in A.';

async function sagaWindow<T>(
  ctx: BenchContext,
  lag: ReturnType<typeof applyLagSampler>,
  alongside: () => Promise<T>,
) {
  const bus = busCounter(ctx.stack.kafkaBrokers, ctx.pool);
  const kafkaPid = ctx.stack.supervisor.pid('kafka');
  const postmaster = ctx.stack.postgres ? await postmasterPid(ctx.stack.postgres.dataDir) : undefined;
  const cpu = () => ({
    broker: cpuSnapshot([{ name: 'kafka', pid: kafkaPid }], undefined),
    stack: cpuSnapshot(
      ctx.stack.supervisor.names().map((name) => ({ name, pid: ctx.stack.supervisor.pid(name) })),
      postmaster,
    ),
  });
  try {
    await bus.settle();
    const messagesBefore = await bus.messages();
    let units = 0;
    const t0 = performance.now();
    const cpu0 = cpu();
    lag.start();
    const beside = alongside();
    const loop = await closedLoop(
      async (slot, seq) => {
        await ctx.load.saga(slot, seq);
        units++;
      },
      {
        concurrency: ctx.profile.concurrency,
        seconds: ctx.profile.busSeconds,
        rampSeconds: ctx.profile.rampSeconds,
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpu();
    const lags = await lag.stop();
    const eventsPerSecond = ((await bus.messages()) - messagesBefore) / seconds;
    const ms = (a: typeof cpu0, b: typeof cpu1, k: 'broker' | 'stack') =>
      a[k] && b[k] ? perOrder(a[k], b[k], units).total : null;
    return {
      loop,
      beside: await beside,
      eventsPerSecond: round(eventsPerSecond, 1),
      lags,
      brokerCpuMsPerOrder: ms(cpu0, cpu1, 'broker'),
      stackCpuMsPerOrder: ms(cpu0, cpu1, 'stack'),
    };
  } finally {
    await bus.close();
  }
}

export const bus: Section = {
  name: 'bus',
  async run(ctx) {
    const { profile } = ctx;
    ctx.say(
      `bus under the saga load: ${profile.busRounds} rounds × (saga alone, saga + bare hop) × ${profile.busSeconds}s`,
    );
    const lag = applyLagSampler(ctx.pool);
    const valueBytes = await meanEventBytes(ctx.pool, 3600);
    const hop = await startBareHop({
      brokers: ctx.stack.kafkaBrokers,
      partitions: ctx.stack.config.kafka.topicPartitions,
      valueBytes,
    });
    const rounds: {
      alone: LoadResult;
      withHop: LoadResult;
      eventsPerSecond: number;
      apply: ReturnType<typeof summarize>;
      applyB: ReturnType<typeof summarize>;
      hop: ReturnType<typeof summarize>;
      hopSent: number;
      hopReceived: number;
      brokerCpuMsPerOrder: number | null;
      stackCpuMsPerOrder: number | null;
    }[] = [];
    try {
      for (let r = 0; r < profile.busRounds; r++) {
        const a = await sagaWindow(ctx, lag, () => Promise.resolve(undefined));
        const rate = Math.max(1, a.eventsPerSecond);
        const b = await sagaWindow(ctx, lag, () => hop.run(rate, profile.rampSeconds + profile.busSeconds));
        const h = b.beside;
        rounds.push({
          alone: a.loop,
          withHop: b.loop,
          eventsPerSecond: a.eventsPerSecond,
          apply: summarize(a.lags),
          applyB: summarize(b.lags),
          hop: summarize(h.latencies),
          hopSent: h.sent,
          hopReceived: h.received,
          brokerCpuMsPerOrder: a.brokerCpuMsPerOrder,
          stackCpuMsPerOrder: a.stackCpuMsPerOrder,
        });
        const last = rounds.at(-1)!;
        ctx.say(
          `  round ${r + 1}: saga ${a.loop.perSecond}/s alone, ${b.loop.perSecond}/s with the hop; bus ${a.eventsPerSecond} events/s; apply p50/p99 ${last.applyB.p50Ms}/${last.applyB.p99Ms} ms vs bare ${last.hop.p50Ms}/${last.hop.p99Ms} ms (${h.received}/${h.sent} received)${a.loop.failed + b.loop.failed ? `; failed ${a.loop.failed}+${b.loop.failed}: ${a.loop.firstError ?? b.loop.firstError}` : ''}`,
        );
      }
    } finally {
      await hop.close();
    }
    const ratio = {
      p50: pairedRatioWhereBoth(
        rounds.map((x) => x.applyB.p50Ms),
        rounds.map((x) => x.hop.p50Ms),
      ),
      p99: pairedRatioWhereBoth(
        rounds.map((x) => x.applyB.p99Ms),
        rounds.map((x) => x.hop.p99Ms),
      ),
    };
    const med = (pick: (x: (typeof rounds)[number]) => number | null) => {
      const xs = rounds.map(pick).filter((x): x is number => x !== null);
      return xs.length ? round(median(xs), 1) : null;
    };
    ctx.results.bus = {
      method: METHOD,
      withoutTheBus: 'results.withoutBus (a second stack with BUS_ENABLED=false, interleaved)',
      concurrency: profile.concurrency,
      messageBytes: valueBytes,
      busEventsPerSecond: med((x) => x.eventsPerSecond),
      applyLagMs: { p50: med((x) => x.apply.p50Ms), p99: med((x) => x.apply.p99Ms) },
      bareHopMs: { p50: med((x) => x.hop.p50Ms), p99: med((x) => x.hop.p99Ms) },
      applyOverBare: ratio,
      sagaPerSecond: { alone: med((x) => x.alone.perSecond), withBareHop: med((x) => x.withHop.perSecond) },
      brokerCpuMsPerOrder: med((x) => x.brokerCpuMsPerOrder),
      stackCpuMsPerOrder: med((x) => x.stackCpuMsPerOrder),
      rounds,
    };
    addRatios(ctx.results, {
      busApplyOverBareHop: { p50: ratio.p50?.median ?? null, p99: ratio.p99?.median ?? null },
    });
  },
};
