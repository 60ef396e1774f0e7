/**
 * The coordinator's durable decision per distributed transaction (coordination.decisions): written before
 * phase 2, never changed, first writer wins. The coordinator workflow's history holds it too; this row is
 * what the recovery sweep and a participant's idempotent commit read, without asking Temporal.
 */
import type { Pool, PoolClient } from 'pg';
import type { AtomicCommitMode, Decision, TransactionKind } from '../domain/coordination';

export type DecidedBy = 'coordinator' | 'recovery';

export interface DecisionRecord {
  decision: Decision;
  decidedBy: DecidedBy;
  decidedAt: Date;
}

/**
 * Records `decision` unless one is recorded already, and returns the recorded one: a coordinator that finds
 * the sweep's presumed abort follows it, and a retried record returns the first answer.
 */
export async function recordDecision(
  db: Pool | PoolClient,
  tx: { orderId: string; kind: TransactionKind; mode: AtomicCommitMode },
  decision: Decision,
  by: DecidedBy,
): Promise<DecisionRecord> {
  await db.query(
    `INSERT INTO coordination.decisions (order_id, kind, mode, decision, decided_by)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, kind) DO NOTHING`,
    [tx.orderId, tx.kind, tx.mode, decision, by],
  );
  const recorded = await readDecision(db, tx.orderId, tx.kind);
  if (!recorded) throw new Error(`decision of ${tx.orderId}/${tx.kind} not found after recording it`);
  return recorded;
}

export async function readDecision(
  db: Pool | PoolClient,
  orderId: string,
  kind: TransactionKind,
): Promise<DecisionRecord | undefined> {
  const r = await db.query<{ decision: Decision; decided_by: DecidedBy; decided_at: Date }>(
    'SELECT decision, decided_by, decided_at FROM coordination.decisions WHERE order_id = $1 AND kind = $2',
    [orderId, kind],
  );
  const row = r.rows[0];
  return row ? { decision: row.decision, decidedBy: row.decided_by, decidedAt: row.decided_at } : undefined;
}
