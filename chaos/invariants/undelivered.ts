/** undelivered: outbox rows of any schema not marked delivered (checked after waiting for the relays). */
import { tally, type Invariant } from '../oracle/context';
import { SCHEMAS } from '../oracle/snapshot';

export const undelivered = {
  name: 'undelivered',
  check(ctx) {
    const t = tally();
    for (const s of SCHEMAS)
      t.add(ctx.snapshot.undelivered[s], `${s}.outbox: ${ctx.snapshot.undelivered[s]} rows not delivered`);
    return t;
  },
} as const satisfies Invariant;
