/** How the accepted orders ended, counted from the orders log (the summary's completed / failed / cancelled). */
import type { Pool } from 'pg';

export async function outcomesOf(pool: Pool) {
  const r = await pool.query<{ t: string; n: number }>(
    `SELECT event_type AS t, count(*)::int AS n FROM orders.events
      WHERE event_type IN ('OrderCompleted','OrderFailed','OrderCancelled') GROUP BY event_type`,
  );
  const n = (t: string) => r.rows.find((x) => x.t === t)?.n ?? 0;
  return { completed: n('OrderCompleted'), failed: n('OrderFailed'), cancelled: n('OrderCancelled') };
}
