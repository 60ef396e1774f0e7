/**
 * stuck: an order the API accepted or the orders log holds whose coordination did not close (oracle/modes.ts:
 * orchestration, 2pc, 3pc: its workflow of that type Running, missing or of another type; choreography: its
 * saga stream not settled, or a workflow where there should be none), or whose own log does not settle in
 * exactly one terminal event (OrderCompleted, OrderFailed or OrderCancelled as the last event that moves it).
 */
import { tally, type Invariant } from '../oracle/context';
import { coordinationOf } from '../oracle/modes';
import { describeOrder, knownOrderIds, standingOf } from '../oracle/standing';

export const stuck = {
  name: 'stuck',
  check(ctx) {
    const t = tally();
    const ids: string[] = [];
    for (const id of knownOrderIds(ctx)) {
      if (standingOf(ctx, id) !== 'stuck') continue;
      ids.push(id);
      t.add(1, `order ${id}: ${coordinationOf(ctx, id).why}, log ${describeOrder(ctx.orders.get(id))}`, id);
    }
    return { ...t, ids };
  },
} as const satisfies Invariant;
