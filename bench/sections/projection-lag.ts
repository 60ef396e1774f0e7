/**
 * Projection lag of the orders the closed loop completed: per order, the time from the append of its last
 * event to the order_summary checkpoint reaching it, both on the Postgres clock.
 */
import type { Pool } from 'pg';
import type { Section } from '../lib/context';
import { summarize } from '../lib/stats';

const METHOD =
  'per completed order: orders.projection_checkpoints.updated_at (now() of the projection transaction that ' +
  "applied the stream's last event to order_summary) − orders.events.recorded_at of that event (now() of the " +
  'append, a single-statement transaction); both on the Postgres clock; one sample per order (its final event)';

async function measureProjectionLag(pool: Pool, orderIds: string[]): Promise<Record<string, unknown>> {
  const streams = [...new Set(orderIds.map((id) => `order-${id}`))];
  const deadline = Date.now() + 30_000;
  let lags: number[] = [];
  let pending = streams.length;
  while (Date.now() < deadline) {
    // a stream's current version is its highest event version (index (stream_id, version));
    // streams with no event yet are left out, as they were when they had no row of their own
    const r = await pool.query<{ lag_ms: number | null; caught_up: boolean }>(
      `SELECT extract(epoch FROM (c.updated_at - e.recorded_at)) * 1000 AS lag_ms,
              c.version = cur.version AS caught_up
         FROM unnest($1::text[]) AS s(stream_id)
        CROSS JOIN LATERAL (SELECT max(version) AS version FROM orders.events WHERE stream_id = s.stream_id) cur
         LEFT JOIN orders.projection_checkpoints c
           ON c.stream_id = s.stream_id AND c.projection = 'order_summary'
         LEFT JOIN orders.events e ON e.stream_id = c.stream_id AND e.version = c.version
        WHERE cur.version IS NOT NULL`,
      [streams],
    );
    pending = r.rows.filter((x) => !x.caught_up).length;
    lags = r.rows.filter((x) => x.caught_up && x.lag_ms !== null).map((x) => Number(x.lag_ms));
    if (pending === 0) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  return { method: METHOD, orders: streams.length, notCaughtUpAfter30s: pending, ...summarize(lags) };
}

export const projectionLag: Section = {
  name: 'projectionLag',
  async run(ctx) {
    ctx.say('projection lag (order_summary checkpoint time − event recorded_at)');
    ctx.results.projectionLag = {
      ...(await measureProjectionLag(ctx.pool, [...ctx.load.recorded.orderIds])),
      relay: ctx.relay.stats().leader
        ? 'the bench process (no relay of the stack held the orders relay lock)'
        : 'the stack (the bench relay stood by)',
    };
  },
};
