/** Shared by the order-accounting invariants: every order id the check knows, and how each one stands. */
import type { OracleContext } from './context';
import { coordinationOf } from './modes';
import { isSettled, type OrderFacts } from './orders-fold';

export type OrderStanding = 'terminal' | 'unrecorded' | 'stuck';

/** orders accepted by the API and orders present in the orders log */
export const knownOrderIds = (ctx: OracleContext): Set<string> =>
  new Set([...ctx.submitted, ...ctx.orders.keys()]);

export const workflowOf = (ctx: OracleContext, orderId: string): string | undefined =>
  ctx.input.workflows.get(`order-${orderId}`);

/**
 * terminal: its coordination closed (oracle/modes.ts: the workflow of its mode closed, or its choreographed
 * saga settled with no workflow) and the order's log settled in one terminal event; unrecorded: the
 * coordination closed but the order has no stream at all; stuck: anything else.
 */
export function standingOf(ctx: OracleContext, orderId: string): OrderStanding {
  const { closed } = coordinationOf(ctx, orderId);
  const o = ctx.orders.get(orderId);
  if (closed && isSettled(o)) return 'terminal';
  if (closed && !o) return 'unrecorded';
  return 'stuck';
}

export function describeOrder(o: OrderFacts | undefined): string {
  if (!o) return 'no stream';
  if (!o.placed) return 'no OrderPlaced first';
  return `${o.status} after ${o.terminalEvents} terminal event(s)${o.settled ? '' : ', not settled'}`;
}

/** Orders placed in the log but not settled: the cross-service checks leave them to `stuck`. */
export const unsettledIds = (ctx: OracleContext): Set<string> =>
  new Set([...ctx.orders.values()].filter((o) => o.placed && !o.settled).map((o) => o.orderId));
