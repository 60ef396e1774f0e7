/**
 * Waiting for positive markers: `until` polls a probe until it reports what the caller waits for (a value
 * other than undefined or false), or a bound passes. A probe that throws (a component restarting) counts as
 * "not yet". The bound only ends a wait that failed; the caller reports it.
 */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs: number; everyMs?: number },
): Promise<T | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 250));
  }
}
