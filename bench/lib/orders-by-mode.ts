/**
 * Orders in any coordination mode (`"coordination"` in the POST /orders body), each run to its completion
 * as the orders service records it, so every mode is measured by one definition: a choreographed order has
 * no workflow to await, and the atomic-commit modes' coordinator is not the saga's workflow.
 *
 * Completion = the order's terminal event (OrderCompleted, OrderFailed or OrderCancelled) in the stream
 * `order-<orderId>` of `orders.events`, which every mode writes. One watcher in the bench process polls
 * for the terminal events of the orders in flight every `intervalMs` (one query for all of them), so an
 * order's latency is from the POST being sent to the bench seeing that event (at most one interval late,
 * the same for every mode). The watcher's own queries are counted, so a Postgres count can leave them out.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { orderStreamId } from '../../src/domain/ids';
import type { OrderEventType } from '../../src/domain/order/order';
import type { CoordinationMode } from '../../src/domain/coordination';
import type { Stack } from '../../src/platform/stack';
import { api } from './api';
import type { Op } from './load';
import { ADDRESS, customerOf } from './seed';

/** the order events after which nothing more happens to it */
export const TERMINAL_ORDER_EVENTS = [
  'OrderCompleted',
  'OrderFailed',
  'OrderCancelled',
] as const satisfies readonly OrderEventType[];
type Terminal = (typeof TERMINAL_ORDER_EVENTS)[number];

export interface CompletionWatch {
  /** resolves with the order's terminal event once it is in orders.events (rejects after `timeoutMs`) */
  wait(orderId: string): Promise<Terminal>;
  /** queries the watcher sent so far (each its own transaction) */
  queries(): number;
  stop(): void;
}

export function watchCompletions(
  pool: Pool,
  opts: { intervalMs?: number; timeoutMs?: number } = {},
): CompletionWatch {
  const intervalMs = opts.intervalMs ?? 20;
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const pending = new Map<
    string,
    { resolve: (t: Terminal) => void; reject: (e: Error) => void; until: number; orderId: string }
  >();
  let queries = 0;
  let stopped = false;
  const tick = async () => {
    if (pending.size === 0) return;
    queries++;
    const r = await pool.query<{ stream_id: string; event_type: Terminal }>(
      'SELECT stream_id, event_type FROM orders.events WHERE stream_id = ANY($1::text[]) AND event_type = ANY($2::text[])',
      [[...pending.keys()], TERMINAL_ORDER_EVENTS],
    );
    for (const row of r.rows) {
      pending.get(row.stream_id)?.resolve(row.event_type);
      pending.delete(row.stream_id);
    }
    const now = Date.now();
    for (const [stream, p] of pending) {
      if (now < p.until) continue;
      p.reject(new Error(`order ${p.orderId}: no terminal event after ${timeoutMs} ms`));
      pending.delete(stream);
    }
  };
  const loop = async () => {
    while (!stopped) {
      await tick().catch(() => undefined); // a failed poll is retried at the next tick
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  void loop();
  return {
    wait: (orderId) =>
      new Promise<Terminal>((resolve, reject) => {
        pending.set(orderStreamId(orderId), { resolve, reject, until: Date.now() + timeoutMs, orderId });
      }),
    queries: () => queries,
    stop() {
      stopped = true;
      for (const p of pending.values()) p.reject(new Error('completion watch stopped'));
      pending.clear();
    },
  };
}

/**
 * An op (bench/lib/load.ts) that places one single-unit order in `coordination` through the gateway (slot
 * i for customer i, the SKU `skuFor` picks) and awaits its terminal event; only OrderCompleted counts.
 */
export function orderInMode(
  deps: { stack: Stack; adminToken: string; watch: CompletionWatch },
  coordination: CoordinationMode,
  skuFor: (slot: number) => string,
): Op {
  return async (slot) => {
    const res = await api(
      deps.stack,
      deps.adminToken,
      'POST',
      '/orders',
      {
        customerId: customerOf(slot),
        items: [{ sku: skuFor(slot), quantity: 1 }],
        shippingAddress: ADDRESS,
        coordination,
      },
      `bench-${coordination}-${randomUUID()}`,
      slot,
    );
    if (res.status !== 202)
      throw new Error(`POST /orders (${coordination}): ${res.status} ${JSON.stringify(res.json)}`);
    const terminal = await deps.watch.wait(String(res.json.orderId));
    if (terminal !== 'OrderCompleted') throw new Error(`${coordination} order ended with ${terminal}`);
  };
}
