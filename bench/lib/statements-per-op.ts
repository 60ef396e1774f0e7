/**
 * Statements per operation of bench/eventstore.ts's workloads, counted on the server: pg_stat_statements
 * (loaded at start, tracking off while the workloads are timed, so its bookkeeping costs none of them
 * anything) is switched on, and each workload runs a fixed number of operations alone with the level's
 * writer count; the statements (top level, in the workload's database) ÷ the operations. The plain INSERT
 * sends exactly one statement per operation, which checks that every connection was tracking.
 */
import type { Pool } from 'pg';

const MARK = '/* bench-statements */';
const OPS_PER_WRITER = 40;

export async function setStatementTracking(db: Pool, on: boolean): Promise<void> {
  await db.query(`${MARK} ALTER SYSTEM SET pg_stat_statements.track = '${on ? 'top' : 'none'}'`);
  await db.query(`${MARK} SELECT pg_reload_conf()`);
  // the postmaster passes the reload on to every backend, which applies it before its next statement
  await new Promise((r) => setTimeout(r, 500));
}

export interface StatementsPerOp {
  opsPerWorkload: number;
  /** statements the server ran per operation, by workload */
  perOp: Record<string, number>;
  /** per workload: each statement's calls per operation (text shortened) */
  byStatement: Record<string, Record<string, number>>;
  /** the plain INSERT counted exactly one statement per operation */
  complete: boolean;
}

const short = (q: string) => q.replace(/\s+/g, ' ').trim().slice(0, 80);

export async function countStatements(
  db: Pool,
  writers: number,
  workloads: Record<string, { database: string; op: (writer: number) => Promise<void> }>,
): Promise<StatementsPerOp> {
  const ops = writers * OPS_PER_WRITER;
  const perOp: Record<string, number> = {};
  const byStatement: Record<string, Record<string, number>> = {};
  await setStatementTracking(db, true);
  try {
    for (const [name, w] of Object.entries(workloads)) {
      await db.query(`${MARK} SELECT pg_stat_statements_reset()`);
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          for (let i = 0; i < OPS_PER_WRITER; i++) await w.op(writer);
        }),
      );
      const r = await db.query<{ query: string; calls: string }>(
        `${MARK} SELECT query, sum(calls)::text AS calls FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND toplevel
           AND query NOT LIKE '%bench-statements%'
         GROUP BY query ORDER BY sum(calls) DESC`,
        [w.database],
      );
      const total = r.rows.reduce((s, x) => s + Number(x.calls), 0);
      perOp[name] = Math.round((total / ops) * 1000) / 1000;
      byStatement[name] = Object.fromEntries(
        r.rows.map((x) => [short(x.query), Math.round((Number(x.calls) / ops) * 1000) / 1000]),
      );
    }
  } finally {
    await setStatementTracking(db, false);
  }
  return {
    opsPerWorkload: ops,
    perOp,
    byStatement,
    complete: perOp.plain === undefined || perOp.plain === 1,
  };
}
