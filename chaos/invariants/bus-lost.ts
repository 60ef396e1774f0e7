/**
 * busLost: a published event that did not arrive where it had to. (1) Every outbox row its relay marked
 * delivered has its event id in `<schema>.events` as an independent Kafka client read the topic (the whole
 * topic; no read at all counts 1). (2) Every consumer group of oracle/bus.ts applied every delivered event of
 * every topic it reads (`bus_applied`), unless it dead-lettered it (counted by deadLetters instead).
 * Undelivered rows are `undelivered`'s.
 */
import { BUS_CONSUMERS, eventsTopic } from '../oracle/bus';
import { tally, type Invariant } from '../oracle/context';
import { SCHEMAS } from '../oracle/snapshot';

export const busLost = {
  name: 'busLost',
  check(ctx) {
    const t = tally();
    const { published, applied, deadLetters } = ctx.snapshot.bus;
    const read = ctx.input.bus;
    if (!read) t.add(1, 'the event topics were not read from Kafka');
    for (const s of SCHEMAS) {
      if (!read) break;
      const inTopic = new Set((read.topics[eventsTopic(s)] ?? []).map((r) => r.eventId));
      for (const p of published[s])
        if (p.delivered && !inTopic.has(p.eventId))
          t.add(
            1,
            `${s}: event ${p.eventId} (${p.streamId} v${p.version}) delivered but not in ${eventsTopic(s)}`,
          );
    }
    const done = new Set([
      ...applied.map((a) => `${a.consumer}|${a.eventId}`),
      ...deadLetters.map((d) => `${d.consumer}|${d.eventId ?? ''}`),
    ]);
    for (const c of BUS_CONSUMERS)
      for (const s of c.topics)
        for (const p of published[s])
          if (p.delivered && !done.has(`${c.name}|${p.eventId}`))
            t.add(
              1,
              `${c.name} never applied ${eventsTopic(s)} event ${p.eventId} (${p.streamId} v${p.version})`,
            );
    return t;
  },
} as const satisfies Invariant;
