/** busDuplicatesApplied: per consumer group, an event id applied more than once (`bus_applied`): the extra ones. */
import { tally, type Invariant } from '../oracle/context';

export const busDuplicatesApplied = {
  name: 'busDuplicatesApplied',
  check(ctx) {
    const t = tally();
    const seen = new Map<string, number>();
    for (const a of ctx.snapshot.bus.applied) {
      const k = `${a.consumer}|${a.eventId}`;
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      if (n > 1) t.add(1, `${a.consumer} applied ${a.eventId} (${a.streamId} v${a.version}) ${n} times`);
    }
    return t;
  },
} as const satisfies Invariant;
