/**
 * Three-phase commit as a Temporal workflow: can-commit (every participant prepares and votes, and records a
 * deadline), pre-commit (each is told the outcome will be commit and acknowledges, moving its deadline),
 * do-commit (the recorded decision, COMMIT or ROLLBACK PREPARED). Its non-blocking rule lives with the
 * participants (src/coordination/three-phase.ts): past its deadline a pre-committed participant commits on
 * its own, one that only voted yes aborts. A pre-commit acknowledgement that does not come in time makes
 * the coordinator abort; a participant that was pre-committed but cannot be reached then commits on its own:
 * the atomicity violation 3PC risks under a network partition (README, "Coordination modes").
 */
import { PARTICIPANTS, type Participant } from '../domain/coordination';
import type { AtomicCommitInput, AtomicCommitResult } from './atomic-contracts';
import { coordinate, type Protocol } from './atomic-commit';

export const threePhaseProtocol: Protocol = async (c, kind, view, why) => {
  const { orderId } = c.input.order;
  const { threePcTimeoutMs } = c.acts.tuning;
  const votes = await Promise.all(
    PARTICIPANTS.map((p) =>
      c.acts.participants[p].steps.prepareTransaction({
        orderId,
        kind,
        order: c.input.order,
        ...(why ? { why } : {}),
        threePcTimeoutMs,
        key: c.key(`can-commit-${kind}-${p}`),
        ...(c.input.requestId ? { requestId: c.input.requestId } : {}),
      }),
    ),
  );
  PARTICIPANTS.forEach((p, i) => (view.votes[p] = votes[i]!));
  let wanted: 'commit' | 'abort' =
    votes.every((v) => v.vote === 'yes') && !c.cancelled(kind) ? 'commit' : 'abort';
  if (wanted === 'commit') {
    c.state.phase = 'PRE_COMMITTING';
    const acks = await Promise.allSettled(
      PARTICIPANTS.map((p) => c.acts.participants[p].preCommit({ orderId, kind, threePcTimeoutMs })),
    );
    view.preCommitted = PARTICIPANTS.filter((_, i) => {
      const a = acks[i]!;
      return a.status === 'fulfilled' && a.value;
    });
    // a missing acknowledgement, or a cancel accepted meanwhile, and the coordinator aborts
    if (view.preCommitted.length < PARTICIPANTS.length || c.cancelled(kind)) wanted = 'abort';
  }
  const decision = await c.acts.coordinator.recordDecision({
    orderId,
    kind,
    mode: c.input.mode,
    decision: wanted,
  });
  view.decision = decision;
  c.state.phase = 'FINISHING';
  const outcomes = await Promise.allSettled(
    PARTICIPANTS.map((p: Participant) => c.acts.participants[p].finishWithin({ orderId, kind, decision })),
  );
  for (const o of outcomes)
    if (o.status === 'fulfilled')
      view.outcomes[o.value.participant] = { outcome: o.value.outcome, by: o.value.by };
  return decision;
};

export function threePhaseCommit(input: AtomicCommitInput): Promise<AtomicCommitResult> {
  return coordinate(input, threePhaseProtocol);
}
