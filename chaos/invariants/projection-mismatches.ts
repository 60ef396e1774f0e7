/**
 * projectionMismatches: every row of the order read models (order_summary, customer_orders and the three
 * order_analytics tables) and every projection checkpoint of an order stream against what the oracle's own
 * fold of the orders log says it must be (oracle/read-models.ts); a row on one side only counts too.
 */
import { tally, type Invariant } from '../oracle/context';

export const projectionMismatches = {
  name: 'projectionMismatches',
  check(ctx) {
    const t = tally();
    const breakdown: Record<string, number> = {};
    for (const [table, d] of Object.entries(ctx.readModels)) {
      breakdown[table] = d.mismatches;
      t.add(d.mismatches, d.samples.join('\n'));
    }
    return { ...t, breakdown };
  },
} as const satisfies Invariant;
