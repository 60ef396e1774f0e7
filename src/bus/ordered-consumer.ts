/**
 * A bus consumer of a service: a consumer-group member (the group is the consumer's name) that applies each
 * event in stream order (ordered-apply.ts), in the process of the service that owns it, with its checkpoints
 * and effects in that service's schema.
 *
 * - A message is applied, ignored (already applied) or held (early); then its offset is committed.
 * - A message that fails is tried again (`maxTries`, backoff between); after the last try it goes to the
 *   dead-letter topic and the `bus_dead_letters` table, and its version counts as done for the stream's
 *   order, so the partition and the stream go on. A message that is not an event (bad headers or payload)
 *   is dead-lettered at once: trying again cannot help. Errors of the database itself (connection lost,
 *   shutting down) are not the message's fault: they are retried without limit and never dead-letter it.
 * - After an event is applied, the stream's held successor (if any) is applied the same way.
 * - The member is supervised: when the broker goes away or the group member fails it is started again
 *   with backoff, from the group's committed offsets.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Pool } from 'pg';
import type { RelayLog } from '../eventstore';
import { ensureTopics } from './admin';
import {
  startBusConsumer,
  type BusConsumer,
  type ConsumedMessage,
  type UndecodableMessage,
} from './consumer';
import { deadLetterTopic, type RawConsumed } from './dead-letter';
import { createDeadLetterer } from './dead-letterer';
import { createTrier, newStats } from './ordered-tries';
import { envelopeOf, BusPayloadError } from './event-message';
import { takeHeld, type ApplyFn, type ApplyOutcome, type BusEvent } from './ordered-apply';

export interface OrderedConsumerOptions {
  brokers: string[];
  pool: Pool;
  /** the owning service's schema: checkpoints, held events, dead letters and effects live there */
  schema: string;
  /** the consumer's name: its consumer group, checkpoint key and dead-letter topic `<name>.dlq` */
  name: string;
  /** this member's id within the group (e.g. its CRDT slot); part of its client id */
  instance: string;
  topics: readonly string[];
  /** the effect of one event, in the transaction that advances the checkpoint */
  apply: ApplyFn;
  /** tries of a failing message before it is dead-lettered; default 5 */
  maxTries?: number;
  /** delay before try n+1 (ms); default 100·2^(n-1), at most 2 s */
  retryDelayMs?: (tries: number) => number;
  /** partitions of a dead-letter topic it creates; default 1 */
  deadLetterPartitions?: number;
  sessionTimeoutMs?: number;
  log?: RelayLog;
  onOutcome?: (outcome: ApplyOutcome | 'dead-letter', topic: string) => void;
}

export interface OrderedConsumerStats {
  running: boolean;
  applied: number;
  duplicates: number;
  held: number;
  deadLetters: number;
  failedTries: number;
  restarts: number;
  lastError?: string;
}

export interface OrderedConsumer {
  stats(): OrderedConsumerStats;
  stop(): Promise<void>;
}

const silent: RelayLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function startOrderedConsumer(opts: OrderedConsumerOptions): OrderedConsumer {
  const log = opts.log ?? silent;
  const maxTries = opts.maxTries ?? 5;
  const retryDelay = opts.retryDelayMs ?? ((n: number) => Math.min(2000, 100 * 2 ** (n - 1)));
  const dlq = deadLetterTopic(opts.name);
  const stats = newStats();
  let stopping = false;
  let member: BusConsumer | undefined;

  const count = (outcome: ApplyOutcome | 'dead-letter', topic: string) => {
    if (outcome === 'applied') stats.applied += 1;
    else if (outcome === 'duplicate') stats.duplicates += 1;
    else if (outcome === 'held') stats.held += 1;
    else stats.deadLetters += 1;
    opts.onOutcome?.(outcome, topic);
  };

  const dead = createDeadLetterer(opts, dlq, (m, tries, reason) => {
    count('dead-letter', m.topic);
    log.error(
      { consumer: opts.name, origin: `${m.topic}/${m.partition}/${m.offset}`, tries, reason },
      'bus consumer: dead-lettered',
    );
  });
  const deadLetter = (m: RawConsumed, reason: string, tries: number) => dead.send(m, reason, tries);

  /** Applies one event with bounded tries; true when its stream moved on (applied or dead-lettered). */
  const applyWithTries = createTrier({
    ...opts,
    maxTries,
    retryDelay,
    stats,
    count,
    deadLetter: (m, reason, tries, event) => dead.send(m, reason, tries, event),
    isStopping: () => stopping,
  });

  async function handle(m: ConsumedMessage): Promise<void> {
    let event: BusEvent;
    try {
      event = { topic: m.topic, envelope: envelopeOf(m), headers: m.headers };
    } catch (err) {
      if (!(err instanceof BusPayloadError)) throw err;
      await deadLetter(m, `${err.name}: ${err.message}`, 1);
      return;
    }
    let moved = await applyWithTries(m, event);
    // apply what was held behind it, in order
    while (moved) {
      const next = await takeHeld(opts.pool, opts.schema, opts.name, event.envelope.streamId);
      if (!next) break;
      const raw: RawConsumed = {
        topic: next.topic,
        partition: m.partition,
        offset: m.offset,
        key: m.key,
        value: JSON.stringify(next.envelope),
        rawHeaders: new Map(),
        headers: next.headers,
      };
      event = next;
      moved = await applyWithTries(raw, next);
    }
  }

  const handleUndecodable = (m: UndecodableMessage, err: Error) =>
    deadLetter(m, `${err.name}: ${err.message}`, 1);

  const loop = (async () => {
    let backoff = 500;
    while (!stopping) {
      try {
        await ensureTopics({
          brokers: opts.brokers,
          topics: [dlq],
          partitions: opts.deadLetterPartitions ?? 1,
        });
        member = await startBusConsumer({
          brokers: opts.brokers,
          groupId: opts.name,
          clientId: `${opts.name}-${opts.instance}`,
          topics: opts.topics,
          handle,
          handleUndecodable,
          ...(opts.sessionTimeoutMs !== undefined && { sessionTimeoutMs: opts.sessionTimeoutMs }),
        });
        if (stopping) {
          // stop() ran while the member was joining: it had nothing to close yet
          await member.close();
          break;
        }
        stats.running = true;
        backoff = 500;
        await member.done;
      } catch (err) {
        stats.lastError = err instanceof Error ? err.message : String(err);
        if (!stopping)
          log.warn({ consumer: opts.name, err: stats.lastError }, 'bus consumer: stopped, restarting');
      }
      stats.running = false;
      member = undefined;
      if (stopping) break;
      stats.restarts += 1;
      await delay(backoff);
      backoff = Math.min(10_000, backoff * 2);
    }
  })();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      stopping = true;
      await member?.close();
      await loop;
      await dead.close();
    },
  };
}
