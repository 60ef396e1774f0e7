/**
 * A poller of one schema's scheduled messages: claims due messages one at a time (scheduled-messages.ts)
 * and hands each to the handler of its kind, until none is due; then sleeps `pollIntervalMs` or until
 * `wake()`. Several pollers (processes) on one schema share the work: each row is handled by one of them.
 * A handler that throws leaves its message to be retried with backoff; errors of Postgres itself (restart,
 * connection lost) only pause the poller.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Pool } from 'pg';
import type { RelayLog } from '../eventstore';
import { claimNext, type ScheduledHandler } from './scheduled-messages';

export interface SchedulerOptions {
  pool: Pool;
  schema: string;
  /** one handler per message kind; the poller claims only these kinds */
  handlers: Record<string, ScheduledHandler>;
  /** pause when nothing is due (ms); default 250 */
  pollIntervalMs?: number;
  log?: RelayLog;
}

export interface SchedulerStats {
  handled: number;
  failed: number;
  lastError?: string;
}

export interface Scheduler {
  /** look for due messages now (e.g. after scheduling one due immediately) */
  wake(): void;
  stats(): SchedulerStats;
  stop(): Promise<void>;
}

const silent: RelayLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function startScheduler(opts: SchedulerOptions): Scheduler {
  const log = opts.log ?? silent;
  const pollMs = opts.pollIntervalMs ?? 250;
  const kinds = Object.keys(opts.handlers);
  const stats: SchedulerStats = { handled: 0, failed: 0 };
  let stopping = false;
  let waker: AbortController | undefined;

  const dispatch: ScheduledHandler = (msg, client) => {
    const handler = opts.handlers[msg.kind];
    if (!handler) throw new Error(`no handler for scheduled message kind ${msg.kind}`);
    return handler(msg, client);
  };

  async function sleep(ms: number): Promise<void> {
    waker = new AbortController();
    await delay(ms, undefined, { signal: waker.signal }).catch(() => undefined);
    waker = undefined;
  }

  const loop = (async () => {
    while (!stopping) {
      let outcome: 'handled' | 'none' | 'error';
      try {
        outcome =
          (await claimNext(opts.pool, opts.schema, dispatch, { kinds })) === 'handled' ? 'handled' : 'none';
      } catch (err) {
        outcome = 'error';
        stats.failed += 1;
        stats.lastError = err instanceof Error ? err.message : String(err);
        if (!stopping) log.warn({ schema: opts.schema, err: stats.lastError }, 'scheduled message failed');
      }
      if (outcome === 'handled') {
        stats.handled += 1;
        continue;
      }
      if (!stopping) await sleep(pollMs);
    }
  })();

  return {
    wake: () => waker?.abort(),
    stats: () => ({ ...stats }),
    async stop() {
      stopping = true;
      waker?.abort();
      await loop;
    },
  };
}
