/** streamGaps: in every schema's log, a stream whose versions are not exactly 1..n. */
import { tally, type Invariant } from '../oracle/context';
import { SCHEMAS } from '../oracle/snapshot';
import { orderOfStream } from '../oracle/vocabulary';

export const streamGaps = {
  name: 'streamGaps',
  check(ctx) {
    const t = tally();
    for (const schema of SCHEMAS) {
      for (const [streamId, events] of ctx.snapshot.streams[schema]) {
        const bad = events.findIndex((e, i) => e.version !== i + 1);
        if (bad >= 0)
          t.add(
            1,
            `${schema}.${streamId}: ${events.length} events, version ${events[bad]!.version} at position ${bad + 1}`,
            orderOfStream(schema, streamId),
          );
      }
    }
    return t;
  },
} as const satisfies Invariant;
