/** The coordinator's own activity (task queue `orders`): record the decision durably before phase 2. */
import type { Pool } from 'pg';
import { recordDecision } from '../../coordination/decisions';
import type { AtomicCommitMode, Decision, TransactionKind } from '../../domain/coordination';

export function createCoordinatorActivities(deps: { pool: Pool }) {
  return {
    /** the decision that stands: this one, or one recorded before (a retry, or the sweep's presumed abort) */
    async recordDecision(args: {
      orderId: string;
      kind: TransactionKind;
      mode: AtomicCommitMode;
      decision: Decision;
    }): Promise<Decision> {
      return (await recordDecision(deps.pool, args, args.decision, 'coordinator')).decision;
    },
  };
}
export type CoordinatorActivities = ReturnType<typeof createCoordinatorActivities>;
