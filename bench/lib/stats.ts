/** Pure helpers of the bench: latency summaries, a least-squares line, the knee of a rate ladder. */

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Nearest-rank quantile of an ascending array (0 for an empty one). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export function summarize(latenciesMs: number[]): LatencySummary {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return {
    samples: s.length,
    p50Ms: round(quantile(s, 0.5), 1),
    p90Ms: round(quantile(s, 0.9), 1),
    p99Ms: round(quantile(s, 0.99), 1),
    maxMs: round(s.at(-1) ?? 0, 1),
  };
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** coefficient of determination (1 = a perfect line) */
  r2: number;
}

/** Ordinary least squares y = intercept + slope·x. */
export function leastSquares(xs: number[], ys: number[]): LinearFit {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: 0, intercept: ys[0] ?? 0, r2: 0 };
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}

export interface Rung {
  offeredPerSecond: number;
  completedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The knee of an open-loop ladder: the highest offered rate that the system still keeps up with
 * (completions ≥ 90 % of the offered rate) while its p50 stays within 2× the p50 of the lowest rung.
 * Undefined when even the lowest rung fails that test.
 */
export function kneeOf(rungs: Rung[]): number | undefined {
  const sorted = [...rungs].sort((a, b) => a.offeredPerSecond - b.offeredPerSecond);
  const base = sorted[0]?.p50Ms;
  if (base === undefined) return undefined;
  let knee: number | undefined;
  for (const r of sorted) {
    if (r.completedPerSecond >= 0.9 * r.offeredPerSecond && r.p50Ms <= 2 * Math.max(base, 1)) {
      knee = r.offeredPerSecond;
    } else break;
  }
  return knee;
}

/** The median of a sample (the mean of the middle two for an even count; 0 for an empty one). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface PairedRatio {
  /** the median of the per-round ratios */
  median: number;
  /** the ratio of each round, in round order */
  rounds: number[];
  min: number;
  max: number;
}

/** a[i] ÷ b[i] for each round i (both measured in that round, next to each other), its median and spread. */
export function pairedRatio(a: number[], b: number[], digits = 3): PairedRatio {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(
      `paired ratio needs the same number of rounds on both sides (${a.length} vs ${b.length})`,
    );
  }
  const rounds = a.map((x, i) => (b[i]! > 0 ? x / b[i]! : 0));
  return {
    median: round(median(rounds), digits),
    rounds: rounds.map((x) => round(x, digits)),
    min: round(Math.min(...rounds), digits),
    max: round(Math.max(...rounds), digits),
  };
}

/**
 * pairedRatio over the rounds in which both sides measured something (a closed loop whose window was shorter
 * than one unit's latency counts 0); null when no round did. `roundsUsed` lists the rounds taken (0-based).
 */
export function pairedRatioWhereBoth(
  a: number[],
  b: number[],
  digits = 3,
): (PairedRatio & { roundsUsed: number[] }) | null {
  const used = a.map((_, i) => i).filter((i) => a[i]! > 0 && b[i]! > 0);
  if (used.length === 0) return null;
  return {
    ...pairedRatio(
      used.map((i) => a[i]!),
      used.map((i) => b[i]!),
      digits,
    ),
    roundsUsed: used,
  };
}
