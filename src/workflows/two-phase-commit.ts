/**
 * Two-phase commit as a Temporal workflow: phase 1 asks every participant to prepare (its command ends in
 * PREPARE TRANSACTION: a yes vote) or refuse (ROLLBACK: a no vote); the decision (commit only when all voted
 * yes) is recorded durably, in this history and in coordination.decisions, before phase 2 sends COMMIT or
 * ROLLBACK PREPARED to every participant, retrying until each answers. Until then the participants hold
 * their locks: a coordinator that is down blocks them (the recovery sweep resolves recorded decisions).
 */
import { PARTICIPANTS } from '../domain/coordination';
import type { AtomicCommitInput, AtomicCommitResult } from './atomic-contracts';
import { coordinate, type Protocol } from './atomic-commit';

export const twoPhaseProtocol: Protocol = async (c, kind, view, why) => {
  const { orderId } = c.input.order;
  const votes = await Promise.all(
    PARTICIPANTS.map((p) =>
      c.acts.participants[p].steps.prepareTransaction({
        orderId,
        kind,
        order: c.input.order,
        ...(why ? { why } : {}),
        key: c.key(`prepare-${kind}-${p}`),
        ...(c.input.requestId ? { requestId: c.input.requestId } : {}),
      }),
    ),
  );
  PARTICIPANTS.forEach((p, i) => (view.votes[p] = votes[i]!));
  // a cancel accepted before the decision is recorded is a reason to abort: nothing is committed yet
  const wanted = votes.every((v) => v.vote === 'yes') && !c.cancelled(kind) ? 'commit' : 'abort';
  const decision = await c.acts.coordinator.recordDecision({
    orderId,
    kind,
    mode: c.input.mode,
    decision: wanted,
  });
  view.decision = decision;
  const outcomes = await Promise.all(
    PARTICIPANTS.map((p) => c.acts.participants[p].steps.finishTransaction({ orderId, kind, decision })),
  );
  for (const o of outcomes) view.outcomes[o.participant] = { outcome: o.outcome, by: o.by };
  return decision;
};

export function twoPhaseCommit(input: AtomicCommitInput): Promise<AtomicCommitResult> {
  return coordinate(input, twoPhaseProtocol);
}
