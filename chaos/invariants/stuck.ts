/**
 * stuck: an order the API accepted or the orders log holds whose orderSaga is not closed in Temporal
 * (Running, or no workflow at all), or whose own log does not settle in exactly one terminal event
 * (OrderCompleted, OrderFailed or OrderCancelled as the last event that moves it).
 */
import { tally, type Invariant } from '../oracle/context';
import { describeOrder, knownOrderIds, standingOf, workflowOf } from '../oracle/standing';

export const stuck = {
  name: 'stuck',
  check(ctx) {
    const t = tally();
    const ids: string[] = [];
    for (const id of knownOrderIds(ctx)) {
      if (standingOf(ctx, id) !== 'stuck') continue;
      ids.push(id);
      t.add(
        1,
        `order ${id}: workflow ${workflowOf(ctx, id) ?? 'missing'}, log ${describeOrder(ctx.orders.get(id))}`,
      );
    }
    return { ...t, ids };
  },
} as const satisfies Invariant;
