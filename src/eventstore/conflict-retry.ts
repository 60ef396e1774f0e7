/**
 * The one retry policy for optimistic-concurrency conflicts (a version another writer took first): the
 * command handler decides again on fresh state, an 'any' append tries again. Bounded, with full jitter; the
 * reasons are in src/eventstore/README.md ("Concurrency conflicts").
 */

export const CONFLICT_RETRY = {
  /** attempts in all, the first included */
  maxAttempts: 20,
  /** the wait before a retry is drawn from [0, min(maxDelayMs, baseDelayMs * 2^(conflicts - 1))) */
  baseDelayMs: 5,
  maxDelayMs: 250,
} as const;

/**
 * How long to wait after the `conflicts`-th conflict (1-based) before the next attempt, or undefined when the
 * attempts are used up (the caller then throws the ConcurrencyError). Pure; `random` for tests.
 */
export function conflictRetryDelayMs(
  conflicts: number,
  random: () => number = Math.random,
): number | undefined {
  if (conflicts >= CONFLICT_RETRY.maxAttempts) return undefined;
  const ceiling = Math.min(
    CONFLICT_RETRY.maxDelayMs,
    CONFLICT_RETRY.baseDelayMs * 2 ** Math.max(0, conflicts - 1),
  );
  return random() * ceiling;
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
