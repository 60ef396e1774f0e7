/**
 * unknownEvents: an event whose type the oracle does not fold, or that sits in a stream of another kind than
 * its schema's (oracle/vocabulary.ts). The folds skip such events, so they are counted here instead of
 * being silently ignored.
 */
import { tally, type Invariant } from '../oracle/context';
import { SCHEMAS } from '../oracle/snapshot';
import { isKnownEvent, orderOfStream } from '../oracle/vocabulary';

export const unknownEvents = {
  name: 'unknownEvents',
  check(ctx) {
    const t = tally();
    for (const schema of SCHEMAS) {
      for (const events of ctx.snapshot.streams[schema].values()) {
        for (const e of events) {
          if (!isKnownEvent(schema, e.streamId, e.type))
            t.add(
              1,
              `${schema}.${e.streamId} v${e.version}: unknown event ${e.type}`,
              orderOfStream(schema, e.streamId),
            );
        }
      }
    }
    return t;
  },
} as const satisfies Invariant;
