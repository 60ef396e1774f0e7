/**
 * The recovery sweep: no prepared transaction of this project is left behind. Run by each voting service's
 * worker on start and periodically, over its own gids: the 3PC timeout rule first (three-phase.ts), then
 * every prepared transaction with a recorded decision is finished by it. One without a decision is in doubt:
 * the coordinator has not decided yet (2PC blocks here) and it is left alone, unless it has been in doubt
 * longer than `presumeAbortAfterMs`; then the sweep records an abort (first writer wins, so a coordinator
 * that had recorded commit keeps it) and finishes by the decision that stands.
 */
import type { Pool } from 'pg';
import type { Decision, Participant } from '../domain/coordination';
import { readDecision, recordDecision } from './decisions';
import { finish, listPrepared } from './participant';
import { applyTimeoutRule, readState, recordOutcome } from './three-phase';

/** how often a worker sweeps, and how long an undecided prepared transaction waits before it is presumed aborted */
export const RECOVERY_DEFAULTS = { intervalMs: 5_000, presumeAbortAfterMs: 10 * 60_000 } as const;

export interface InDoubtStatus {
  count: number;
  /** 0 when none */
  oldestAgeSeconds: number;
}

export interface SweepResult extends InDoubtStatus {
  resolved: { gid: string; outcome: Decision }[];
}

/** prepared transactions of this project (of one participant, when given) and the oldest one's age */
export async function inDoubtStatus(pool: Pool, participant?: Participant): Promise<InDoubtStatus> {
  const now = Date.now();
  const open = (await listPrepared(pool)).filter((p) => !participant || p.participant === participant);
  const oldest = open[0]?.preparedAt.getTime();
  return {
    count: open.length,
    oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
  };
}

export async function sweepInDoubt(
  pool: Pool,
  opts: {
    participant?: Participant;
    presumeAbortAfterMs: number;
    /** test hook (a network partition): while true, the coordinator's decisions cannot be read; only the timeout rule acts */
    partitioned?: () => boolean;
  },
): Promise<SweepResult> {
  const resolved = (await applyTimeoutRule(pool, opts.participant)).slice();
  if (opts.partitioned?.()) return { resolved, ...(await inDoubtStatus(pool, opts.participant)) };
  for (const p of await listPrepared(pool)) {
    if (opts.participant && p.participant !== opts.participant) continue;
    let decision = (await readDecision(pool, p.orderId, p.kind))?.decision;
    if (!decision && Date.now() - p.preparedAt.getTime() >= opts.presumeAbortAfterMs)
      decision = (
        await recordDecision(
          pool,
          { ...p, mode: (await readState(pool, p.gid)) ? '3pc' : '2pc' },
          'abort',
          'recovery',
        )
      ).decision;
    if (!decision) continue;
    const outcome = (await readState(pool, p.gid))
      ? ((await recordOutcome(pool, p.gid, decision, 'recovery')) ?? decision)
      : decision;
    if ((await finish(pool, p.gid, outcome)) === 'finished') resolved.push({ gid: p.gid, outcome });
  }
  return { resolved, ...(await inDoubtStatus(pool, opts.participant)) };
}

/** runs the sweep now and every `intervalMs` until stopped; a failed round is logged and the next one tries again */
export function startRecoverySweep(opts: {
  pool: Pool;
  participant: Participant;
  intervalMs: number;
  presumeAbortAfterMs: number;
  partitioned?: () => boolean;
  log?: { warn: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void };
  /** after each round: what is still in doubt (the worker's gauges) */
  onStatus?: (status: InDoubtStatus) => void;
}): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  const run = () => {
    round = sweepInDoubt(opts.pool, opts)
      .then((r) => {
        opts.onStatus?.({ count: r.count, oldestAgeSeconds: r.oldestAgeSeconds });
        if (r.resolved.length) opts.log?.info({ resolved: r.resolved }, 'in-doubt transactions resolved');
      })
      .catch((err: unknown) => opts.log?.warn({ err }, 'recovery sweep failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(run, opts.intervalMs);
      });
  };
  run();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
