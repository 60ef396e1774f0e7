/**
 * The `cancelOrder` update of the atomic-commit coordinators: the same update, and the same rule, as the
 * saga's (accepted until shipping starts, rejected after; the first cancel wins). The handler only records
 * the cancel in the coordinator's state and waits for the order to end; the coordinator acts on it
 * (atomic-commit.ts): before the decision is recorded it decides abort, after a commit it runs `reverse`.
 */
import { condition, log, setHandler } from '@temporalio/workflow';
import { CANCELLABLE_ATOMIC_PHASES, type AtomicCommitState, type AtomicPhase } from './atomic-contracts';
import { cancelOrderUpdate, type CancelOrderRequest } from './contracts';

const cancellable = (phase: AtomicPhase): boolean =>
  (CANCELLABLE_ATOMIC_PHASES as readonly AtomicPhase[]).includes(phase);

export function setAtomicCancelHandler(state: AtomicCommitState): void {
  setHandler(
    cancelOrderUpdate,
    async (req) => {
      state.cancel ??= {
        reason: req.reason ?? 'cancelled by the customer',
        ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}),
      };
      log.info('cancellation accepted', { orderId: state.orderId, phase: state.phase });
      await condition(() => state.status !== 'PENDING');
      const status = state.status === 'PENDING' ? 'CANCELLED' : state.status;
      return { orderId: state.orderId, accepted: true as const, status, state: status };
    },
    {
      validator: (_req: CancelOrderRequest) => {
        if (state.cancel || cancellable(state.phase)) return;
        throw new Error(`Order ${state.orderId} can no longer be cancelled (phase ${state.phase})`);
      },
      description:
        'Cancel a 2PC/3PC order until shipping starts: before the decision the coordinator aborts, after ' +
        'a commit a second distributed transaction reverses the first; it ends CANCELLED.',
    },
  );
}
