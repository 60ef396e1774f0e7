/**
 * unrecorded: an order the API accepted (202) whose orderSaga closed in Temporal but that has no stream in
 * the orders log at all.
 */
import { tally, type Invariant } from '../oracle/context';
import { coordinationOf } from '../oracle/modes';
import { knownOrderIds, standingOf } from '../oracle/standing';

export const unrecorded = {
  name: 'unrecorded',
  check(ctx) {
    const t = tally();
    const ids: string[] = [];
    for (const id of knownOrderIds(ctx)) {
      if (standingOf(ctx, id) !== 'unrecorded') continue;
      ids.push(id);
      t.add(1, `order ${id}: ${coordinationOf(ctx, id).why} but no order stream (accepted with 202)`, id);
    }
    return { ...t, ids };
  },
} as const satisfies Invariant;
