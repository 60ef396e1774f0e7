/** doubleCharges: from the payments log, an order charged more than once or refunded more than once. */
import { tally, type Invariant } from '../oracle/context';

export const doubleCharges = {
  name: 'doubleCharges',
  check(ctx) {
    const t = tally();
    for (const m of ctx.money.orders.values()) {
      if (m.charges > 1 || m.refunds > 1)
        t.add(1, `order ${m.orderId}: charged ${m.charges} times, refunded ${m.refunds} times`, m.orderId);
    }
    return t;
  },
} as const satisfies Invariant;
