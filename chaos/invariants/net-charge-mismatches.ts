/**
 * netChargeMismatches: per order, the payments log against the orders log. A settled order's net charge
 * (charged − refunded) is its total when COMPLETED and 0 when FAILED or CANCELLED; an order still open has
 * a net charge of 0 or its total; every charge is booked on the account of the order's customer and names
 * an order that the orders log holds; a COMPLETED order with a total was charged. A 2PC/3PC order whose
 * participants disagree is counted once, as an atomicity violation (oracle/atomicity.ts), not here.
 */
import { tally, type Invariant } from '../oracle/context';

export const netChargeMismatches = {
  name: 'netChargeMismatches',
  check(ctx) {
    const t = tally();
    for (const m of ctx.money.orders.values()) {
      if (ctx.atomicity.violations.has(m.orderId)) continue;
      const o = ctx.orders.get(m.orderId);
      const net = m.charged - m.refunded;
      if (!o?.placed) {
        t.add(
          1,
          `order ${m.orderId}: net charge ${net} on ${m.customerId}, but the orders log has no such order`,
          m.orderId,
        );
        continue;
      }
      if (m.customerId !== o.placed.customerId) {
        t.add(
          1,
          `order ${m.orderId} of ${o.placed.customerId}: charged on account ${m.customerId}`,
          m.orderId,
        );
        continue;
      }
      const total = o.placed.total;
      const ok = o.settled ? net === (o.status === 'COMPLETED' ? total : 0) : net === 0 || net === total;
      if (!ok)
        t.add(
          1,
          `order ${m.orderId} (${o.settled ? o.status : 'open'}, total ${total}): net charge ${net}`,
          m.orderId,
        );
    }
    for (const o of ctx.orders.values()) {
      if (o.settled && o.status === 'COMPLETED' && o.placed!.total > 0 && !ctx.money.orders.has(o.orderId))
        t.add(1, `completed order ${o.orderId} was never charged`, o.orderId);
    }
    return t;
  },
} as const satisfies Invariant;
