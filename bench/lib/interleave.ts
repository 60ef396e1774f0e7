/**
 * Closed loops of several kinds, interleaved A B C C B A, so that drift on a shared machine hits every kind
 * alike; each kind's two halves are merged. Around every half the CPU of the stack's processes is read, so
 * each kind also gets CPU milliseconds per unit by process group.
 */
import { perOrder, type CpuSnapshot } from './cpu';
import { closedLoop, type LoadResult, type Op } from './load';
import { round } from './stats';

export interface Interleaved {
  results: Record<string, LoadResult>;
  /** CPU ms per order by process group, per kind (undefined without /proc) */
  cpu: Record<string, Record<string, number>> | undefined;
}

interface CpuHalf {
  before: CpuSnapshot;
  after: CpuSnapshot;
  units: number;
}

export async function interleaved(
  kinds: { name: string; op: Op }[],
  opts: { concurrency: number; halfSeconds: number; rampSeconds: number; say: (msg: string) => void },
  cpu: () => CpuSnapshot | undefined,
): Promise<Interleaved> {
  const halves: Record<string, LoadResult[]> = {};
  const cpuHalves: Record<string, CpuHalf[]> = {};
  for (const k of [...kinds, ...[...kinds].reverse()]) {
    // every unit that completed in the half (ramp and drain too), as the CPU is read around the whole half
    let units = 0;
    const counted: Op = async (slot, seq) => {
      const ok = await k.op(slot, seq);
      if (ok !== false) units++;
      return ok;
    };
    const before = cpu();
    const r = await closedLoop(counted, {
      concurrency: opts.concurrency,
      seconds: opts.halfSeconds,
      rampSeconds: opts.rampSeconds,
      progress: (n) => opts.say(`  ${k.name}: ${n} completed`),
    });
    const after = cpu();
    if (before && after) (cpuHalves[k.name] ??= []).push({ before, after, units });
    opts.say(
      `  ${k.name.padEnd(8)} ${r.perSecond.toFixed(1)}/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  (${r.completed} done, ${r.failed} failed)`,
    );
    (halves[k.name] ??= []).push(r);
  }
  return {
    results: Object.fromEntries(Object.entries(halves).map(([name, rs]) => [name, mergeHalves(rs)])),
    cpu:
      Object.keys(cpuHalves).length === kinds.length
        ? Object.fromEntries(Object.entries(cpuHalves).map(([name, hs]) => [name, cpuPerUnit(hs)]))
        : undefined,
  };
}

/** CPU ms per unit over a kind's halves: the summed differences ÷ the summed units. */
function cpuPerUnit(hs: CpuHalf[]): Record<string, number> {
  const sum = (pick: (h: CpuHalf) => CpuSnapshot) =>
    Object.fromEntries(
      Object.keys(hs[0]!.before).map((g) => [g, hs.reduce((t, h) => t + pick(h)[g as keyof CpuSnapshot], 0)]),
    ) as CpuSnapshot;
  return perOrder(
    sum((h) => h.before),
    sum((h) => h.after),
    hs.reduce((t, h) => t + h.units, 0),
  );
}

/** Merges closed-loop halves: throughput over the summed time; latency quantiles are sample-weighted means. */
export function mergeHalves(rs: LoadResult[]): LoadResult {
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
