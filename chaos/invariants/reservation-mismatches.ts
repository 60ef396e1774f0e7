/**
 * reservationMismatches: the inventory log against the orders log. For each settled order and each of its
 * lines: COMPLETED → exactly the line's quantity reserved and committed, nothing released; FAILED or
 * CANCELLED → nothing committed, nothing left reserved, and a reservation (if any) of the line's quantity.
 * Every reservation names an order of the orders log and one of that order's SKUs.
 */
import { tally, type Invariant } from '../oracle/context';
import { reservationKey } from '../oracle/stock-fold';

export const reservationMismatches = {
  name: 'reservationMismatches',
  check(ctx) {
    const t = tally();
    for (const o of ctx.orders.values()) {
      if (!o.settled || !o.placed) continue;
      for (const l of o.placed.lines) {
        const r = ctx.stock.reservations.get(reservationKey(l.sku, o.orderId));
        const [reserved, released, committed] = [r?.reserved ?? 0, r?.released ?? 0, r?.committed ?? 0];
        const ok =
          o.status === 'COMPLETED'
            ? reserved === l.quantity && committed === l.quantity && released === 0
            : committed === 0 && (reserved === 0 || reserved === l.quantity) && reserved - released <= 0;
        if (!ok)
          t.add(
            1,
            `${o.status} order ${o.orderId} ${l.sku}×${l.quantity}: reserved ${reserved}, released ${released}, committed ${committed}`,
            o.orderId,
          );
      }
    }
    for (const r of ctx.stock.reservations.values()) {
      const lines = ctx.orders.get(r.orderId)?.placed?.lines;
      if (!lines?.some((l) => l.sku === r.sku))
        t.add(
          1,
          `${r.sku} reserved for order ${r.orderId}, which ${lines ? 'has no such line' : 'is not in the orders log'}`,
          r.orderId,
        );
    }
    return t;
  },
} as const satisfies Invariant;
