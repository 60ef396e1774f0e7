/**
 * oversold: from the inventory log, units reserved beyond what was available at that moment (the available
 * bucket went below 0), summed over SKUs by the deepest deficit.
 */
import { tally, type Invariant } from '../oracle/context';

export const oversold = {
  name: 'oversold',
  check(ctx) {
    const t = tally();
    for (const it of ctx.stock.items.values())
      t.add(it.deficit, `item ${it.sku}: available went down to −${it.deficit}`);
    return t;
  },
} as const satisfies Invariant;
