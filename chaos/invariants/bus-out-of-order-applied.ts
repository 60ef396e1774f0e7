/**
 * busOutOfOrderApplied: per consumer group and stream (topic + key), in the order of application (`bus_applied`
 * seq), an application of version v while a lower version of that stream that its service published (outbox)
 * had been neither applied before nor dead-lettered. A repeat of an applied version is busDuplicatesApplied's.
 */
import { applicationsByStream, eventsTopic } from '../oracle/bus';
import { tally, type Invariant } from '../oracle/context';
import { SCHEMAS } from '../oracle/snapshot';

export const busOutOfOrderApplied = {
  name: 'busOutOfOrderApplied',
  check(ctx) {
    const t = tally();
    const { published, applied, deadLetters } = ctx.snapshot.bus;
    // topic + stream → the versions published on it
    const versions = new Map<string, number[]>();
    for (const s of SCHEMAS)
      for (const p of published[s]) {
        const k = `${eventsTopic(s)}\u0000${p.streamId}`;
        const list = versions.get(k);
        if (list) list.push(p.version);
        else versions.set(k, [p.version]);
      }
    const dead = new Set(deadLetters.map((d) => `${d.consumer}|${d.topic}\u0000${d.streamId}|${d.version}`));
    for (const [consumer, streams] of applicationsByStream(applied))
      for (const [key, list] of streams) {
        const done = new Set<number>();
        for (const a of list) {
          const missing = (versions.get(key) ?? []).filter(
            (u) => u < a.version && !done.has(u) && !dead.has(`${consumer}|${key}|${u}`),
          );
          if (missing.length > 0)
            t.add(1, `${consumer} applied ${a.streamId} v${a.version} before v${missing.join(', v')}`);
          done.add(a.version);
        }
      }
    return t;
  },
} as const satisfies Invariant;
