/**
 * Time to recover, read from the services' event logs (not from sleeps or client timings): an order
 * progresses when any service appends an event for it (its own stream in `orders`, an event naming it as
 * `orderId` in `inventory`, `payments`, `shipping`). For a fault at time t, the sagas in flight are the orders
 * with an event before t and no terminal event before t; the fault is recovered when each of them has
 * progressed again, and the stall is the longest stretch in between during which no order progressed at all.
 */
import type { Pool } from 'pg';
import { SCHEMAS } from '../oracle/snapshot';

const TERMINAL = new Set(['OrderCompleted', 'OrderFailed', 'OrderCancelled']);

export interface ProgressEvent {
  orderId: string;
  at: number;
  type: string;
}

export interface Recovery {
  /** sagas in flight at the fault */
  inFlight: number;
  /** of those, how many progressed again after it */
  progressed: number;
  /** ms from the fault until every saga in flight at it had progressed again (-1: some never did) */
  recoverMs: number;
  /** the longest stretch (ms) from the fault until then during which no order progressed */
  stallMs: number;
  /** ms from the fault until the first order progressed */
  firstProgressMs: number;
}

/** Every order-related event recorded since `since` (ms since the epoch), oldest first. */
export async function progressEvents(pool: Pool, since: number): Promise<ProgressEvent[]> {
  const parts = SCHEMAS.map(
    (s) => `SELECT ${s === 'orders' ? `substring(stream_id from 7)` : `data->>'orderId'`} AS order_id,
                   event_type, (extract(epoch from recorded_at) * 1000)::float8 AS at
              FROM ${s}.events
             WHERE recorded_at >= to_timestamp($1::float8 / 1000)
               AND ${s === 'orders' ? `stream_id LIKE 'order-%'` : `data ? 'orderId'`}`,
  );
  const r = await pool.query<{ order_id: string; event_type: string; at: number }>(
    `${parts.join(' UNION ALL ')} ORDER BY at`,
    [since],
  );
  return r.rows.map((x) => ({ orderId: x.order_id, at: Number(x.at), type: x.event_type }));
}

/** The recovery of a fault at `t` (ms since the epoch) from the events around it. */
export function recoveryAt(events: readonly ProgressEvent[], t: number): Recovery {
  const seen = new Set<string>();
  const ended = new Set<string>();
  const next = new Map<string, number>();
  let first = -1;
  for (const e of events) {
    if (e.at < t) {
      seen.add(e.orderId);
      if (TERMINAL.has(e.type)) ended.add(e.orderId);
      continue;
    }
    if (first < 0) first = e.at;
    if (!next.has(e.orderId)) next.set(e.orderId, e.at);
  }
  const inFlight = [...seen].filter((id) => !ended.has(id));
  const after = inFlight.map((id) => next.get(id)).filter((x): x is number => x !== undefined);
  const recoveredAt = after.length === inFlight.length ? Math.max(t, ...after) : -1;
  const end = recoveredAt >= 0 ? recoveredAt : Math.max(t, ...events.map((e) => e.at));
  let stall = 0;
  let prev = t;
  for (const e of events) {
    if (e.at < t || e.at > end) continue;
    stall = Math.max(stall, e.at - prev);
    prev = e.at;
  }
  return {
    inFlight: inFlight.length,
    progressed: after.length,
    recoverMs: recoveredAt >= 0 ? Math.round(recoveredAt - t) : -1,
    stallMs: Math.round(Math.max(stall, end - prev)),
    firstProgressMs: first >= 0 ? Math.round(first - t) : -1,
  };
}
