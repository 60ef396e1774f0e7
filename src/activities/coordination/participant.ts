/**
 * A participant's activities in 2PC and 3PC (registered on each voting service's own task queue: orders,
 * inventory, payments). Each is idempotent: a retried prepare of a prepared gid votes yes again, a prepare
 * after the transaction was decided or timed out votes no without running anything, and a finish of a gid
 * that is no longer prepared answers from the recorded decision (and, in 3PC, the participant's own record).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { readDecision } from '../../coordination/decisions';
import { finish, prepare, type Vote } from '../../coordination/participant';
import { readState, recordOutcome, recordPrepared, recordPreCommitted } from '../../coordination/three-phase';
import type { AtomicOrder, ParticipantWork, Reversal } from '../../coordination/types';
import {
  COORDINATION_DEFAULTS,
  gidOf,
  type Decision,
  type Participant,
  type TransactionKind,
} from '../../domain/coordination';
import { stepMeta } from '../step-meta';

export interface TransactionRef {
  orderId: string;
  kind: TransactionKind;
}

export interface PrepareArgs extends TransactionRef {
  order: AtomicOrder;
  /** reverse only: why */
  why?: Reversal;
  /** 3PC: the participant's deadline after its yes vote (the timeout rule then aborts it) */
  threePcTimeoutMs?: number;
  key: string;
  requestId?: string;
}

/** how a participant's part ended: `by` says whether this call ended it or it had ended before */
export interface FinishResult {
  participant: Participant;
  outcome: Decision;
  by: 'this-call' | 'earlier' | 'timeout';
}

/**
 * A network partition between the coordinator and a participant, for tests and fault injection: true for
 * a transaction the participant is cut off on, from its pre-commit on. Its pre-commit is applied but the
 * acknowledgement is lost, no later call of the coordinator reaches it, and its recovery sweep cannot read
 * the coordinator's decision either; only its own 3PC timeout rule still acts.
 */
export type PartitionFault = (t: TransactionRef & { participant: Participant }) => boolean;

/** the failure the coordinator sees from across a partition (retryable: it cannot tell a slow network) */
const unreachable = (t: TransactionRef, participant: Participant) =>
  ApplicationFailure.retryable(
    `${participant} cannot be reached for ${t.orderId}/${t.kind} (partition)`,
    'Partitioned',
  );

export function createParticipantActivities(deps: {
  pool: Pool;
  /**
   * the connections for the protocol's own steps after a yes vote: the 3PC record of the vote, pre-commit
   * and finish (default `pool`). A prepared transaction's row locks can make every connection of `pool` wait
   * (other orders' prepares on the same rows), and only these steps of the lock holder release them: on
   * `pool` they would queue behind the very sessions they make wait
   */
  finishPool?: Pool;
  participant: Participant;
  work: ParticipantWork;
  /** COORDINATION_PREPARE_LOCK_TIMEOUT_MS (LockWait in src/coordination/participant.ts) */
  prepareLockTimeoutMs?: number;
  partition?: PartitionFault;
}) {
  const { pool, participant, work } = deps;
  const finishPool = deps.finishPool ?? pool;
  const cutOff = (t: TransactionRef) => deps.partition?.({ ...t, participant }) ?? false;
  const gid = (t: TransactionRef) => gidOf(t.orderId, t.kind, participant);
  return {
    async prepareTransaction(args: PrepareArgs): Promise<Vote> {
      const decided = await readDecision(pool, args.orderId, args.kind);
      if (decided)
        return { vote: 'no', code: 'AlreadyDecided', message: `decided ${decided.decision} already` };
      const state = await readState(pool, gid(args));
      if (state?.outcome) return { vote: 'no', code: 'TimedOut', message: `ended by ${state.resolvedBy}` };
      const meta = stepMeta(args.key, args.orderId, args.requestId);
      const job =
        args.kind === 'apply'
          ? work.apply(args.order, meta)
          : work.reverse(args.order, args.why ?? { outcome: 'failed', reason: 'reversed' }, meta);
      const vote = await prepare(pool, gid(args), participant, job, {
        lockTimeoutMs: deps.prepareLockTimeoutMs ?? COORDINATION_DEFAULTS.prepareLockTimeoutMs,
        onTimeout: args.kind === 'apply' ? 'vote-no' : 'retry',
      });
      if (vote.vote === 'yes' && args.threePcTimeoutMs !== undefined)
        await recordPrepared(finishPool, { ...args, participant }, args.threePcTimeoutMs);
      return vote;
    },

    /** 3PC: true when pre-committed; false when the participant had already ended its part (timeout) */
    async preCommitTransaction(args: TransactionRef & { threePcTimeoutMs: number }): Promise<boolean> {
      const done = await recordPreCommitted(finishPool, gid(args), args.threePcTimeoutMs);
      if (cutOff(args)) throw unreachable(args, participant);
      return done;
    },

    /**
     * COMMIT or ROLLBACK PREPARED by the decision. A 3PC participant whose timeout rule ended its part first
     * keeps that outcome (`by: 'timeout'`, possibly not the decision: the atomicity violation 3PC risks under
     * a partition). A gid no longer prepared is a retry: the recorded decision says what it became.
     */
    async finishTransaction(args: TransactionRef & { decision: Decision }): Promise<FinishResult> {
      if (cutOff(args)) throw unreachable(args, participant);
      const g = gid(args);
      const own = (await readState(finishPool, g))
        ? await recordOutcome(finishPool, g, args.decision, 'coordinator')
        : null;
      const outcome = own ?? args.decision;
      const finished = await finish(finishPool, g, outcome);
      if (outcome !== args.decision) return { participant, outcome, by: 'timeout' };
      if (finished === 'finished') return { participant, outcome, by: 'this-call' };
      const recorded = await readDecision(finishPool, args.orderId, args.kind);
      if (recorded?.decision !== args.decision)
        throw ApplicationFailure.nonRetryable(
          `${g} is not prepared and the recorded decision is ${recorded?.decision ?? 'missing'}, not ${args.decision}`,
          'DecisionMismatch',
        );
      return { participant, outcome, by: 'earlier' };
    },
  };
}
export type ParticipantActivities = ReturnType<typeof createParticipantActivities>;
export type { Vote } from '../../coordination/participant';
export type { AtomicOrder, Reversal } from '../../coordination/types';
