/**
 * What 2PC and 3PC share around their protocol: the destination is checked before anything is prepared, the
 * `apply` transaction (reserve, charge, mark paid) is committed atomically or not at all, and only then does
 * shipping run, because the carrier is an HTTP API that cannot hold a prepared transaction. When shipping
 * fails after the commit, or the customer cancels inside the window, the only way back is a second distributed
 * transaction, `reverse` (release, refund, fail or cancel the order): the saga's compensation in disguise
 * (README, "Coordination modes"). A cancel accepted before the decision is recorded makes it an abort.
 */
import {
  ApplicationFailure,
  condition,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Reversal } from '../activities/coordination/participant';
import { PARTICIPANTS, type Decision, type TransactionKind } from '../domain/coordination';
import { atomicActivities, type AtomicActivities } from './atomic-activities';
import { setAtomicCancelHandler } from './atomic-cancel';
import {
  atomicCommitStateQuery,
  type AtomicCommitInput,
  type AtomicCommitResult,
  type AtomicCommitState,
  type TransactionView,
} from './atomic-contracts';
import type { SagaFailure } from './contracts';
import { classify } from './failures';
import { OrderStatusKey } from './search-attributes';

/** one run of the protocol over the three participants; it fills `view` and returns the decision that stands */
export type Protocol = (
  c: Coordinator,
  kind: TransactionKind,
  view: TransactionView,
  why?: Reversal,
) => Promise<Decision>;

export interface Coordinator {
  input: AtomicCommitInput;
  acts: AtomicActivities;
  state: AtomicCommitState;
  /** the idempotency key of a step of this workflow */
  key: (step: string) => string;
  /** true when a cancel was accepted and `kind` is the apply: the coordinator then decides abort */
  cancelled: (kind: TransactionKind) => boolean;
}

const emptyView = (): TransactionView => ({ votes: {}, preCommitted: [], outcomes: {} });

export async function coordinate(input: AtomicCommitInput, protocol: Protocol): Promise<AtomicCommitResult> {
  const { order, requestId } = input;
  const { orderId } = order;
  const state: AtomicCommitState = {
    orderId,
    mode: input.mode,
    phase: 'CHECKING_DESTINATION',
    status: 'PENDING',
    apply: emptyView(),
  };
  const c: Coordinator = {
    input,
    acts: atomicActivities(input.tuning),
    state,
    key: (step) => `${workflowInfo().workflowId}/${step}`,
    cancelled: (kind) => kind === 'apply' && state.cancel !== undefined,
  };
  const { acts, key } = c;
  const req = requestId ? { requestId } : {};
  setHandler(atomicCommitStateQuery, () => state);
  setAtomicCancelHandler(state);

  /** nothing was committed: the order is still recorded, and recorded as failed or cancelled, as the saga does */
  const unplaced = async (failure: SagaFailure, outcome: 'FAILED' | 'CANCELLED') => {
    await acts.orders.placeOrder({ ...order, key: key('placeOrder'), ...req });
    await acts.orders.rejectOrder({
      orderId,
      outcome,
      reason: failure.message,
      step: failure.step,
      key: key('rejectOrder'),
      ...req,
    });
    return end(c, { failure }, outcome);
  };
  const cancelFailure = (step: string): SagaFailure => ({
    step,
    type: 'Cancelled',
    message: state.cancel?.reason ?? 'cancelled',
  });

  try {
    await acts.shipping.validateDestination({ orderId, country: order.shippingAddress.country });
  } catch (err) {
    return unplaced(classify('validateDestination', err, undefined), 'FAILED');
  }
  // cancelled before anything was prepared: nothing to abort, nothing to undo
  if (state.cancel) return unplaced(cancelFailure('validateDestination'), 'CANCELLED');

  state.phase = 'PREPARING';
  if ((await protocol(c, 'apply', state.apply)) === 'abort') {
    if (state.cancel) return unplaced(cancelFailure('prepare'), 'CANCELLED');
    const no = PARTICIPANTS.map((p) => [p, state.apply.votes[p]] as const).find(([, v]) => v?.vote === 'no');
    const vote = no?.[1];
    return unplaced(
      vote?.vote === 'no'
        ? { step: `prepare:${no![0]}`, type: vote.code, message: vote.message }
        : { step: 'preCommit', type: 'Aborted', message: 'a pre-commit was not acknowledged in time' },
      'FAILED',
    );
  }

  if (input.cancellationWindowMs > 0 && !state.cancel) {
    state.phase = 'AWAITING_SHIPMENT';
    await condition(() => state.cancel !== undefined, input.cancellationWindowMs);
  }
  if (state.cancel) {
    // committed, then cancelled: the only way back is a second distributed transaction
    const failure = cancelFailure('cancellationWindow');
    await reverseApply(c, { outcome: 'cancelled', reason: failure.message });
    return end(c, { failure }, 'CANCELLED');
  }
  state.phase = 'SHIPPING';
  let shipment: { shipmentId: string; trackingNumber: string };
  try {
    shipment = await acts.carrier.createShipment({
      orderId,
      address: order.shippingAddress,
      lines: order.lines,
      key: key('createShipment'),
      ...req,
    });
  } catch (err) {
    const failure = classify('createShipment', err, undefined);
    // the shipment record is no participant either: its undo is a plain retried step, as in the saga
    state.phase = 'REVERSING';
    await acts.shipping.cancelShipment({
      orderId,
      reason: failure.message,
      key: key('cancelShipment'),
      ...req,
    });
    await reverseApply(c, { outcome: 'failed', reason: failure.message, step: failure.step });
    return end(c, { failure }, 'FAILED');
  }
  await acts.inventory.commitStock({ orderId, lines: order.lines, key: key('commitStock'), ...req });
  await acts.orders.completeOrder({ orderId, ...shipment, key: key('completeOrder'), ...req });
  return end(c, { trackingNumber: shipment.trackingNumber }, 'COMPLETED');

  async function reverseApply(c: Coordinator, why: Reversal): Promise<void> {
    c.state.phase = 'REVERSING';
    c.state.reverse = { ...emptyView(), why };
    const undone = await protocol(c, 'reverse', c.state.reverse, why);
    if (undone !== 'commit')
      throw ApplicationFailure.nonRetryable(
        `the reverse transaction of ${c.state.orderId} was refused`,
        'ReverseRefused',
      );
  }
}

function end(
  c: Coordinator,
  s: Partial<AtomicCommitState>,
  status: AtomicCommitResult['status'],
): AtomicCommitResult {
  Object.assign(c.state, s, { phase: status, status });
  upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
  return { ...c.state, phase: status, status };
}
