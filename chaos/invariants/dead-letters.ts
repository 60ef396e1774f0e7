/**
 * deadLetters: messages a consumer gave up on. Per consumer group, the larger of its rows in
 * `bus_dead_letters` (any schema) and the messages in its dead-letter topic `<consumer>.dlq` (as the
 * independent Kafka read counted them): each dead letter is recorded in both, so it counts once, and one that
 * reached only one of them counts too.
 */
import { tally, type Invariant } from '../oracle/context';

export const deadLetters = {
  name: 'deadLetters',
  check(ctx) {
    const t = tally();
    const rows = new Map<string, number>();
    for (const d of ctx.snapshot.bus.deadLetters) rows.set(d.consumer, (rows.get(d.consumer) ?? 0) + 1);
    const inTopic = new Map<string, number>();
    for (const [topic, n] of Object.entries(ctx.input.bus?.counts ?? {}))
      if (topic.endsWith('.dlq')) inTopic.set(topic.slice(0, -'.dlq'.length), n);
    for (const c of new Set([...rows.keys(), ...inTopic.keys()])) {
      const n = Math.max(rows.get(c) ?? 0, inTopic.get(c) ?? 0);
      t.add(
        n,
        `${c}: ${rows.get(c) ?? 0} rows in bus_dead_letters, ${inTopic.get(c) ?? 0} messages in ${c}.dlq`,
      );
    }
    return t;
  },
} as const satisfies Invariant;
