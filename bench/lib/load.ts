/** Load generators: a closed loop (a fixed number in flight) and an open loop (a fixed arrival rate). */
import { round, summarize, type LatencySummary } from './stats';

export interface LoadResult extends LatencySummary {
  completed: number;
  failed: number;
  seconds: number;
  perSecond: number;
  firstError?: string;
}

/** `op` does one unit of work to its completion; it throws (or returns false) when the unit failed. */
export type Op = (slot: number, seq: number) => Promise<boolean | void>;

/**
 * Closed loop: `concurrency` workers each start the next unit when theirs completes. After `rampSeconds`
 * (the system fills up) completions are counted for `seconds`; throughput = completions in that window ÷
 * its length, latencies are those of the units completing in it. Units still running at the end are
 * awaited (drained) but not counted, so the next measurement starts from an idle system.
 */
export async function closedLoop(
  op: Op,
  opts: {
    concurrency: number;
    seconds: number;
    rampSeconds?: number;
    progress?: (completed: number) => void;
  },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let seq = 0;
  const started = performance.now();
  const windowStart = started + (opts.rampSeconds ?? 0) * 1000;
  const windowEnd = windowStart + opts.seconds * 1000;
  const timer = opts.progress ? setInterval(() => opts.progress!(latencies.length), 5000) : undefined;
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, slot) => {
        while (performance.now() < windowEnd) {
          const t = performance.now();
          let ok: boolean | void = false;
          try {
            ok = await op(slot, seq++);
          } catch (err) {
            firstError ??= String(err);
          }
          const done = performance.now();
          if (done < windowStart || done > windowEnd) continue;
          if (ok === false) failed++;
          else latencies.push(done - t);
        }
      }),
    );
  } finally {
    if (timer) clearInterval(timer);
  }
  const seconds = (windowEnd - windowStart) / 1000;
  return {
    completed: latencies.length,
    failed,
    seconds: round(seconds),
    perSecond: round(latencies.length / seconds, 2),
    ...summarize(latencies),
    ...(firstError ? { firstError } : {}),
  };
}

export interface OpenLoopResult extends LoadResult {
  offeredPerSecond: number;
  started: number;
  /** units still running when the drain timeout ended the rung */
  unfinished: number;
}

/**
 * Open loop: unit i is due at start + i/rate whatever happens to the others; its latency is measured from
 * that intended start (so a generator or a system that falls behind shows up as latency, no coordinated
 * omission). Completions/s = completed ÷ (last completion − start).
 */
export async function openLoop(
  op: Op,
  opts: { rate: number; seconds: number; drainSeconds: number },
): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const total = Math.max(1, Math.round(opts.rate * opts.seconds));
  const started = performance.now();
  let lastDone = started;
  const running: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    running.push(
      op(i, i).then(
        (ok) => {
          lastDone = performance.now();
          if (ok === false) failed++;
          else latencies.push(lastDone - due);
        },
        (err: unknown) => {
          failed++;
          firstError ??= String(err);
        },
      ),
    );
  }
  let timedOut = false;
  const drain = new Promise<void>((r) =>
    setTimeout(() => {
      timedOut = true;
      r();
    }, opts.drainSeconds * 1000).unref(),
  );
  await Promise.race([Promise.all(running), drain]);
  const seconds = (lastDone - started) / 1000;
  const unfinished = timedOut ? total - latencies.length - failed : 0;
  return {
    offeredPerSecond: round(opts.rate, 2),
    started: total,
    completed: latencies.length,
    failed,
    unfinished,
    seconds: round(seconds),
    perSecond: seconds > 0 ? round(latencies.length / seconds, 2) : 0,
    ...summarize(latencies),
    ...(firstError ? { firstError } : {}),
  };
}
