/**
 * startOutboxRelay: delivers the rows of `<schema>.outbox` to in-process subscribers, at least once, in
 * per-aggregate order. Composed from election (relay-election.ts), batches (relay-batch.ts) and the loop
 * (relay-loop.ts); README.md ("Outbox") has the guarantees and why they hold.
 */
import { registerLocalRelay } from './local-wake';
import { abandon, resign } from './relay-election';
import { runRelayLoop, Sleeper } from './relay-loop';
import type { OutboxRelay, OutboxRelayOptions, RelayContext } from './relay-types';
import { quoteSchema } from './sql';

export type {
  OutboxDelivery,
  OutboxRelay,
  OutboxRelayOptions,
  OutboxSubscriber,
  RelayLog,
  RelayStats,
  SqlStatement,
} from './relay-types';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function startOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const pollMs = opts.pollIntervalMs ?? 1000;
  const sleeper = new Sleeper(() => ctx.stopping || ctx.aborted);
  const ctx: RelayContext = {
    pool: opts.pool,
    schema: opts.schema,
    quoted: quoteSchema(opts.schema),
    subscribers: opts.subscribers,
    log: opts.log ?? silent,
    pollMs,
    standbyMs: opts.standbyRetryMs ?? pollMs,
    batchSize: opts.batchSize ?? 100,
    perAggregate: opts.perAggregate ?? 50,
    concurrency: opts.concurrency ?? 4,
    backoffMs: opts.backoffMs ?? 200,
    maxBackoffMs: opts.maxBackoffMs ?? 60_000,
    retentionMs: opts.retentionMs ?? 7 * 24 * 3600 * 1000,
    stats: { leader: false, elections: 0, delivered: 0, failedAttempts: 0, batches: 0 },
    stopping: false,
    aborted: false,
    leaderClient: undefined,
    wakeUp: sleeper.wakeUp,
  };
  // appends of a store on this pool and schema wake this relay directly while it leads (local-wake.ts)
  const unregister = registerLocalRelay(opts.pool, opts.schema, {
    isLeader: () => ctx.stats.leader && !ctx.stopping && !ctx.aborted,
    wake: ctx.wakeUp,
  });
  const loop = runRelayLoop(ctx, sleeper);

  return {
    async stop() {
      ctx.stopping = true;
      unregister();
      ctx.wakeUp();
      await loop;
      await resign(ctx);
    },
    abort() {
      ctx.aborted = true;
      unregister();
      ctx.stats.leader = false;
      ctx.wakeUp();
      abandon(ctx);
    },
    stats: () => ({ ...ctx.stats }),
  };
}
