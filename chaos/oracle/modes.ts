/**
 * Which coordination mode ran each order, and whether its coordination closed, in the oracle's own terms
 * (nothing imported from src/): an orchestrated order has an `orderSaga` workflow, a 2PC or 3PC order a
 * `twoPhaseCommit` or `threePhaseCommit` workflow (each under `order-<orderId>`), and a choreographed order
 * no workflow at all but a saga stream `saga-<orderId>` in the orders log, settled when its last
 * SagaTransitioned went to COMPLETED, FAILED or CANCELLED.
 */
import type { OracleContext } from './context';
import { CHOREOGRAPHY_STREAMS, CHOREOGRAPHY_TERMINAL_STATES, str } from './vocabulary';

export const MODES = ['orchestration', 'choreography', '2pc', '3pc'] as const;
export type Mode = (typeof MODES)[number];

/** the workflow type that coordinates an order of each mode (choreography: none) */
export const WORKFLOW_TYPE_OF: Record<Mode, string | undefined> = {
  orchestration: 'orderSaga',
  choreography: undefined,
  '2pc': 'twoPhaseCommit',
  '3pc': 'threePhaseCommit',
};

const isMode = (m: unknown): m is Mode => (MODES as readonly unknown[]).includes(m);

/** the choreographed saga's stream of an order, if any */
export const sagaStreamOf = (ctx: OracleContext, orderId: string) =>
  ctx.snapshot.streams.orders.get(`${CHOREOGRAPHY_STREAMS.saga.prefix}${orderId}`);

/**
 * The mode an order ran under: the one its request asked for when the suite sent it; otherwise what the
 * records show (a saga stream: choreography; else the type of its workflow; else orchestration).
 */
export function modeOf(ctx: OracleContext, orderId: string): Mode {
  const asked = ctx.input.modes?.get(orderId);
  if (isMode(asked)) return asked;
  if (sagaStreamOf(ctx, orderId)) return 'choreography';
  const type = ctx.input.workflowTypes?.get(`order-${orderId}`);
  const found = MODES.find((m) => type !== undefined && WORKFLOW_TYPE_OF[m] === type);
  return found ?? 'orchestration';
}

/** the last state the choreographed saga went to (undefined: no saga stream or no transition) */
export function sagaStateOf(ctx: OracleContext, orderId: string): string | undefined {
  const events = sagaStreamOf(ctx, orderId) ?? [];
  const last = events.filter((e) => e.type === 'SagaTransitioned').at(-1);
  return last ? str(last.data.to) : undefined;
}

/**
 * Whether the order's coordination is over, and if not, why: its workflow (of its mode's type) closed in
 * Temporal; for a choreographed order, no workflow and its saga settled in the orders log.
 */
export function coordinationOf(ctx: OracleContext, orderId: string): { closed: boolean; why: string } {
  const mode = modeOf(ctx, orderId);
  const status = ctx.input.workflows.get(`order-${orderId}`);
  const type = ctx.input.workflowTypes?.get(`order-${orderId}`);
  if (mode === 'choreography') {
    if (status !== undefined)
      return { closed: false, why: `choreographed, yet workflow ${type ?? '?'} ${status}` };
    if (!sagaStreamOf(ctx, orderId)) return { closed: false, why: 'choreographed, no saga stream' };
    const state = sagaStateOf(ctx, orderId) ?? 'ORDER_PLACED';
    const closed = CHOREOGRAPHY_TERMINAL_STATES.includes(state);
    return { closed, why: `choreographed saga ${state}` };
  }
  const want = WORKFLOW_TYPE_OF[mode];
  if (status === undefined) return { closed: false, why: `${mode}: workflow missing` };
  if (type !== undefined && type !== want)
    return { closed: false, why: `${mode}: workflow ${type}, not ${want}` };
  return { closed: status !== 'RUNNING', why: `${mode}: workflow ${status}` };
}
