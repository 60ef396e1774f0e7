/**
 * Closed loops of several kinds in rounds, interleaved A B C, C B A, A B C, …, so that drift on a shared
 * machine hits every kind alike and the kinds compared in a ratio run next to each other in every round.
 * Each kind's rounds are merged (`results`) and also kept one by one (`rounds`: a same-round ratio each,
 * whose median and spread the ratios section reports). Around every run the CPU of the stack's processes
 * is read, so each kind also gets CPU milliseconds per unit by process group; `around` lets a caller count
 * other things per run the same way.
 */
import { perOrder, type CpuSnapshot } from './cpu';
import { closedLoop, type LoadResult, type Op } from './load';
import { round } from './stats';

export interface Interleaved {
  /** each kind's runs merged */
  results: Record<string, LoadResult>;
  /** each round's result per kind, in round order */
  rounds: Record<string, LoadResult>[];
  /** CPU ms per order by process group, per kind (undefined without /proc) */
  cpu: Record<string, Record<string, number>> | undefined;
}

interface CpuRun {
  before: CpuSnapshot;
  after: CpuSnapshot;
  units: number;
}

export async function interleaved(
  kinds: { name: string; op: Op }[],
  opts: {
    concurrency: number;
    rounds: number;
    roundSeconds: number;
    rampSeconds: number;
    say: (msg: string) => void;
    /** around every run (kind and round), outside its timing: e.g. wait for quiet and read counters */
    around?: {
      before(kind: string): Promise<void>;
      after(kind: string, units: number): Promise<void>;
    };
  },
  cpu: () => CpuSnapshot | undefined,
): Promise<Interleaved> {
  const runs: Record<string, LoadResult[]> = {};
  const cpuRuns: Record<string, CpuRun[]> = {};
  const rounds: Record<string, LoadResult>[] = [];
  const order = Array.from({ length: opts.rounds }, (_, r) =>
    (r % 2 === 0 ? kinds : [...kinds].reverse()).map((k) => ({ k, r })),
  ).flat();
  for (const { k, r } of order) {
    // every unit that completed in the run (ramp and drain too), as the CPU is read around the whole run
    let units = 0;
    const counted: Op = async (slot, seq) => {
      const ok = await k.op(slot, seq);
      if (ok !== false) units++;
      return ok;
    };
    await opts.around?.before(k.name);
    const before = cpu();
    const res = await closedLoop(counted, {
      concurrency: opts.concurrency,
      seconds: opts.roundSeconds,
      rampSeconds: opts.rampSeconds,
      progress: (n) => opts.say(`  ${k.name}: ${n} completed`),
    });
    const after = cpu();
    await opts.around?.after(k.name, units);
    if (before && after) (cpuRuns[k.name] ??= []).push({ before, after, units });
    opts.say(
      `  round ${r + 1} ${k.name.padEnd(8)} ${res.perSecond.toFixed(1)}/s  p50 ${res.p50Ms} ms  p99 ${res.p99Ms} ms  (${res.completed} done, ${res.failed} failed)`,
    );
    (runs[k.name] ??= []).push(res);
    (rounds[r] ??= {})[k.name] = res;
  }
  return {
    results: Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, mergeRuns(rs)])),
    rounds,
    cpu:
      Object.keys(cpuRuns).length === kinds.length
        ? Object.fromEntries(Object.entries(cpuRuns).map(([name, hs]) => [name, cpuPerUnit(hs)]))
        : undefined,
  };
}

/** CPU ms per unit over a kind's runs: the summed differences ÷ the summed units. */
function cpuPerUnit(hs: CpuRun[]): Record<string, number> {
  const sum = (pick: (h: CpuRun) => CpuSnapshot) =>
    Object.fromEntries(
      Object.keys(hs[0]!.before).map((g) => [g, hs.reduce((t, h) => t + pick(h)[g as keyof CpuSnapshot], 0)]),
    ) as CpuSnapshot;
  return perOrder(
    sum((h) => h.before),
    sum((h) => h.after),
    hs.reduce((t, h) => t + h.units, 0),
  );
}

/** Merges closed-loop runs: throughput over the summed time; latency quantiles are sample-weighted means. */
export function mergeRuns(rs: LoadResult[]): LoadResult {
  const completed = rs.reduce((a, r) => a + r.completed, 0);
  const seconds = rs.reduce((a, r) => a + r.seconds, 0);
  const w = (f: (r: LoadResult) => number) =>
    round(rs.reduce((a, r) => a + f(r) * r.completed, 0) / Math.max(1, completed), 1);
  const firstError = rs.find((r) => r.firstError)?.firstError;
  return {
    completed,
    failed: rs.reduce((a, r) => a + r.failed, 0),
    seconds: round(seconds),
    perSecond: round(completed / seconds, 2),
    samples: completed,
    p50Ms: w((r) => r.p50Ms),
    p90Ms: w((r) => r.p90Ms),
    p99Ms: w((r) => r.p99Ms),
    maxMs: Math.max(...rs.map((r) => r.maxMs)),
    ...(firstError ? { firstError } : {}),
  };
}
