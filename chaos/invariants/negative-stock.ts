/**
 * negativeStock: from the inventory log, stock moved that was never there: a release or commit of more than
 * the order had reserved on that SKU (its reserved bucket would go below 0), or a movement whose quantity is
 * not a positive integer.
 */
import { tally, type Invariant } from '../oracle/context';

export const negativeStock = {
  name: 'negativeStock',
  check(ctx) {
    const t = tally();
    for (const r of ctx.stock.reservations.values()) {
      if (r.overMoved)
        t.add(
          1,
          `${r.sku} for order ${r.orderId}: reserved ${r.reserved}, released ${r.released}, committed ${r.committed}`,
          r.orderId,
        );
    }
    for (const it of ctx.stock.items.values())
      t.add(
        it.badQuantities,
        `item ${it.sku}: ${it.badQuantities} movement(s) with a quantity that is not a positive integer`,
      );
    return t;
  },
} as const satisfies Invariant;
