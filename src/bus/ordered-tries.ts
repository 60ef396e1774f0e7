/**
 * How an ordered consumer (ordered-consumer.ts) applies one event: in stream order, with bounded tries for a
 * failing message (then the dead-letter topic), and without limit for an error of the database itself.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RawConsumed } from './dead-letter';
import { applyInStreamOrder, type ApplyOutcome, type BusEvent } from './ordered-apply';
import { type OrderedConsumerOptions, type OrderedConsumerStats } from './ordered-consumer';
import { isDatabaseUnavailable } from '../db/errors';

export const newStats = (): OrderedConsumerStats => ({
  running: false,
  applied: 0,
  duplicates: 0,
  held: 0,
  deadLetters: 0,
  failedTries: 0,
  restarts: 0,
});

export interface TrierDeps extends Pick<OrderedConsumerOptions, 'pool' | 'schema' | 'name' | 'apply'> {
  maxTries: number;
  retryDelay: (tries: number) => number;
  stats: OrderedConsumerStats;
  count: (outcome: ApplyOutcome, topic: string) => void;
  deadLetter: (m: RawConsumed, reason: string, tries: number, event: BusEvent) => Promise<void>;
  isStopping: () => boolean;
}

/** Applies one event with bounded tries; resolves true when its stream moved on (applied or dead-lettered). */
export function createTrier(d: TrierDeps): (m: RawConsumed, event: BusEvent) => Promise<boolean> {
  return async (m, event) => {
    for (let tries = 1; ; tries++) {
      try {
        const outcome = await applyInStreamOrder(d.pool, d.schema, d.name, event, d.apply);
        d.count(outcome, event.topic);
        return outcome === 'applied';
      } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        d.stats.lastError = reason;
        if (d.isStopping()) throw err;
        if (isDatabaseUnavailable(err)) {
          await delay(d.retryDelay(Math.min(tries, 6)));
          tries -= 1; // not the message's fault: does not count
          continue;
        }
        d.stats.failedTries += 1;
        if (tries >= d.maxTries) {
          await d.deadLetter(m, reason, tries, event);
          return true;
        }
        await delay(d.retryDelay(tries));
      }
    }
  };
}
