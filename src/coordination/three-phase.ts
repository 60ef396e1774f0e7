/**
 * A 3PC participant's own record of its prepared transaction (coordination.participant_states), kept
 * outside the transaction, and the 3PC timeout rule that acts on it: a participant that was pre-committed
 * and hears nothing from the coordinator by its deadline commits on its own; one that only voted yes aborts.
 * Every change is guarded by `outcome IS NULL` under the row's lock, so a late pre-commit and the timeout
 * rule cannot both win.
 */
import type { Pool, PoolClient } from 'pg';
import type { Decision, Participant, ThreePcState, TransactionKind } from '../domain/coordination';
import { gidOf } from '../domain/coordination';
import { finish } from './participant';

export type ResolvedBy = 'coordinator' | 'timeout' | 'recovery';

export interface ParticipantState {
  gid: string;
  state: ThreePcState;
  timeoutAt: Date;
  outcome: Decision | null;
  resolvedBy: ResolvedBy | null;
}

type Db = Pool | PoolClient;

/** after a yes vote: prepared until `timeoutMs` from now (then the timeout rule aborts it) */
export async function recordPrepared(
  db: Db,
  tx: { orderId: string; kind: TransactionKind; participant: Participant },
  timeoutMs: number,
): Promise<void> {
  await db.query(
    `INSERT INTO coordination.participant_states (gid, order_id, participant, state, timeout_at)
     VALUES ($1, $2, $3, 'prepared', now() + $4 * interval '1 millisecond') ON CONFLICT (gid) DO NOTHING`,
    [gidOf(tx.orderId, tx.kind, tx.participant), tx.orderId, tx.participant, timeoutMs],
  );
}

export async function readState(db: Db, gid: string): Promise<ParticipantState | undefined> {
  const r = await db.query<{
    gid: string;
    state: ThreePcState;
    timeout_at: Date;
    outcome: Decision | null;
    resolved_by: ResolvedBy | null;
  }>(
    'SELECT gid, state, timeout_at, outcome, resolved_by FROM coordination.participant_states WHERE gid = $1',
    [gid],
  );
  const row = r.rows[0];
  return row
    ? {
        gid: row.gid,
        state: row.state,
        timeoutAt: row.timeout_at,
        outcome: row.outcome,
        resolvedBy: row.resolved_by,
      }
    : undefined;
}

/** pre-commit: true when the participant is (now) pre-committed; false when it already ended (e.g. timed out) */
export async function recordPreCommitted(db: Db, gid: string, timeoutMs: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE coordination.participant_states
     SET state = 'precommitted', timeout_at = now() + $2 * interval '1 millisecond', updated_at = now()
     WHERE gid = $1 AND outcome IS NULL`,
    [gid, timeoutMs],
  );
  return (r.rowCount ?? 0) > 0;
}

/** marks the outcome unless one is marked; returns the marked one */
export async function recordOutcome(
  db: Db,
  gid: string,
  outcome: Decision,
  by: ResolvedBy,
): Promise<Decision | null> {
  await db.query(
    `UPDATE coordination.participant_states SET outcome = $2, resolved_by = $3, updated_at = now()
     WHERE gid = $1 AND outcome IS NULL`,
    [gid, outcome, by],
  );
  return (await readState(db, gid))?.outcome ?? null;
}

/**
 * The timeout rule for every open participant state past its deadline: pre-committed → COMMIT PREPARED,
 * prepared → ROLLBACK PREPARED, the outcome marked `timeout` first (under the row lock) so that the
 * coordinator's pre-commit can no longer land. Returns what it resolved.
 */
export async function applyTimeoutRule(
  pool: Pool,
  participant?: Participant,
): Promise<{ gid: string; outcome: Decision }[]> {
  const due = await pool.query<{ gid: string; outcome: Decision }>(
    `UPDATE coordination.participant_states
     SET outcome = CASE state WHEN 'precommitted' THEN 'commit' ELSE 'abort' END,
         resolved_by = 'timeout', updated_at = now()
     WHERE outcome IS NULL AND timeout_at <= now() AND ($1::text IS NULL OR participant = $1)
     RETURNING gid, outcome`,
    [participant ?? null],
  );
  for (const row of due.rows) await finish(pool, row.gid, row.outcome);
  return due.rows;
}
