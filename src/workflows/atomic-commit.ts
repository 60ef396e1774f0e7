/**
 * What 2PC and 3PC share around their protocol: the destination is checked before anything is prepared, the
 * `apply` transaction (reserve, charge, mark paid) is committed atomically or not at all, and only then does
 * shipping run, because the carrier is an HTTP API that cannot hold a prepared transaction. When shipping
 * fails after the commit, the only way back is a second distributed transaction, `reverse` (release, refund,
 * fail the order): the saga's compensation in disguise (README, "Coordination modes").
 */
import {
  ApplicationFailure,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Reversal } from '../activities/coordination/participant';
import { PARTICIPANTS, type Decision, type TransactionKind } from '../domain/coordination';
import { atomicActivities, type AtomicActivities } from './atomic-activities';
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
}

const emptyView = (): TransactionView => ({ votes: {}, preCommitted: [], outcomes: {} });

export async function coordinate(input: AtomicCommitInput, protocol: Protocol): Promise<AtomicCommitResult> {
  const { order, requestId } = input;
  const { orderId } = order;
  const c: Coordinator = {
    input,
    acts: atomicActivities(input.tuning),
    state: {
      orderId,
      mode: input.mode,
      phase: 'CHECKING_DESTINATION',
      status: 'PENDING',
      apply: emptyView(),
    },
    key: (step) => `${workflowInfo().workflowId}/${step}`,
  };
  const { acts, state, key } = c;
  const req = requestId ? { requestId } : {};
  setHandler(atomicCommitStateQuery, () => state);

  const failed = async (failure: SagaFailure): Promise<AtomicCommitResult> => {
    // nothing was committed: the order is still recorded, and recorded as failed, as the saga does
    await acts.orders.placeOrder({ ...order, key: key('placeOrder'), ...req });
    await acts.orders.rejectOrder({
      orderId,
      outcome: 'FAILED',
      reason: failure.message,
      step: failure.step,
      key: key('rejectOrder'),
      ...req,
    });
    return end({ ...state, failure }, 'FAILED');
  };

  try {
    await acts.shipping.validateDestination({ orderId, country: order.shippingAddress.country });
  } catch (err) {
    return failed(classify('validateDestination', err, undefined));
  }

  state.phase = 'PREPARING';
  if ((await protocol(c, 'apply', state.apply)) === 'abort') {
    const no = PARTICIPANTS.map((p) => [p, state.apply.votes[p]] as const).find(([, v]) => v?.vote === 'no');
    const vote = no?.[1];
    return failed(
      vote?.vote === 'no'
        ? { step: `prepare:${no![0]}`, type: vote.code, message: vote.message }
        : { step: 'preCommit', type: 'Aborted', message: 'a pre-commit was not acknowledged in time' },
    );
  }

  if (input.cancellationWindowMs > 0) {
    state.phase = 'AWAITING_SHIPMENT';
    await sleep(input.cancellationWindowMs);
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
    const why: Reversal = { outcome: 'failed', reason: failure.message, step: failure.step };
    state.phase = 'REVERSING';
    // the shipment record is no participant either: its undo is a plain retried step, as in the saga
    await acts.shipping.cancelShipment({
      orderId,
      reason: failure.message,
      key: key('cancelShipment'),
      ...req,
    });
    state.reverse = { ...emptyView(), why };
    const undone = await protocol(c, 'reverse', state.reverse, why);
    if (undone !== 'commit')
      throw ApplicationFailure.nonRetryable(
        `the reverse transaction of ${orderId} was refused`,
        'ReverseRefused',
      );
    return end({ ...state, failure }, 'FAILED');
  }
  await acts.inventory.commitStock({ orderId, lines: order.lines, key: key('commitStock'), ...req });
  await acts.orders.completeOrder({ orderId, ...shipment, key: key('completeOrder'), ...req });
  return end({ ...state, trackingNumber: shipment.trackingNumber }, 'COMPLETED');

  function end(s: AtomicCommitState, status: 'COMPLETED' | 'FAILED'): AtomicCommitResult {
    Object.assign(state, s, { phase: status, status });
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    return { ...state, phase: status, status };
  }
}
