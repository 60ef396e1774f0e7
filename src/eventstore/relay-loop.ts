/**
 * The relay's loop: stand by until elected, then batch after batch; after a batch that held every due
 * message it sleeps until woken (NOTIFY, an in-process append), the poll interval or the earliest retry,
 * and now and then deletes delivered rows past the retention.
 */
import { processBatch } from './relay-batch';
import { dropLostLeadership, elect } from './relay-election';
import type { RelayContext } from './relay-types';

/**
 * Sleep that a wake-up ends early. A wake-up that arrives while the loop is busy is remembered, so the next
 * sleep returns at once (a NOTIFY during a batch is never lost).
 */
export class Sleeper {
  private woken = false;
  private wake: (() => void) | undefined;

  constructor(private readonly done: () => boolean) {}

  wakeUp = (): void => {
    this.woken = true;
    this.wake?.();
  };

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.woken || this.done()) {
        this.woken = false;
        resolve();
        return;
      }
      const finish = () => {
        clearTimeout(t);
        this.wake = undefined;
        this.woken = false;
        resolve();
      };
      const t = setTimeout(finish, ms);
      this.wake = finish;
    });
  }
}

/** Runs until stop() or abort(). */
export async function runRelayLoop(ctx: RelayContext, sleeper: Sleeper): Promise<void> {
  let lastCleanup = 0;
  while (!ctx.stopping && !ctx.aborted) {
    try {
      if (!ctx.stats.leader) {
        await dropLostLeadership(ctx);
        const won = await elect(ctx);
        ctx.stats.elections += 1;
        if (!won) {
          await sleeper.sleep(ctx.standbyMs);
          continue;
        }
      }
      const batch = await processBatch(ctx);
      if (batch.more || ctx.stopping || ctx.aborted) continue;
      if (
        batch.fetched === 0 &&
        ctx.retentionMs > 0 &&
        Date.now() - lastCleanup > Math.min(ctx.retentionMs, 600_000)
      ) {
        lastCleanup = Date.now();
        await deleteDelivered(ctx);
      }
      const due = batch.nextDueMs;
      await sleeper.sleep(due === undefined ? ctx.pollMs : Math.min(ctx.pollMs, due + 5));
    } catch (err) {
      if (ctx.aborted) break;
      ctx.stats.lastError = (err as Error).message;
      ctx.log.error({ err: (err as Error).message, schema: ctx.schema }, 'outbox relay: batch failed');
      await sleeper.sleep(Math.min(ctx.pollMs, 1000));
    }
  }
}

/** delivered rows older than the retention, at most 10000 per pass */
async function deleteDelivered(ctx: RelayContext): Promise<void> {
  await ctx.pool.query(
    `DELETE FROM ${ctx.quoted}.outbox WHERE position IN (
       SELECT position FROM ${ctx.quoted}.outbox WHERE delivered_at < now() - make_interval(secs => $1::float8 / 1000)
       LIMIT 10000)`,
    [ctx.retentionMs],
  );
}
