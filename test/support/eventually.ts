/**
 * The one way a test waits: `eventually(assertion)` retries an assertion until it passes or the time is up,
 * then fails with the last assertion's own message. A wait is always for a positive marker (a row written,
 * a workflow closed, a relay caught up), never a sleep that guesses how long something takes.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface EventuallyOptions {
  /** give up after this long (ms); default 60 s, generous for a loaded 2-core machine */
  timeoutMs?: number;
  /** pause between attempts (ms); default 50 */
  intervalMs?: number;
  /** what is awaited, for the timeout message */
  what?: string;
}

/**
 * Runs `assertion` until it resolves without throwing and returns its value. When the time runs out, the
 * error thrown is the last attempt's error, prefixed with how long was waited and for what.
 */
export async function eventually<T>(
  assertion: () => T | Promise<T>,
  { timeoutMs = 60_000, intervalMs = 50, what }: EventuallyOptions = {},
): Promise<T> {
  const started = Date.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      return await assertion();
    } catch (err) {
      const waited = Date.now() - started;
      if (waited >= timeoutMs) {
        const last = err instanceof Error ? err : new Error(String(err));
        last.message = `eventually${what ? ` (${what})` : ''}: still failing after ${waited} ms and ${attempts} attempts: ${last.message}`;
        throw last;
      }
    }
    await delay(intervalMs);
  }
}
