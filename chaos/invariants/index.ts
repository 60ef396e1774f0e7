/**
 * The chaos suite's invariants: one file per counter, each `{ name, check(ctx) }` over the oracle's context
 * (oracle/context.ts). The oracle reads Postgres with plain SQL and folds the raw logs itself; it shares no
 * code with the services, the event store or the projections it checks. Every counter must be 0.
 */
import type { Pool } from 'pg';
import { buildContext, type Finding, type OracleContext, type OracleInput } from '../oracle/context';
import { parseProjectGid } from '../oracle/atomicity';
import { busDuplicatesApplied } from './bus-duplicates-applied';
import { busLost } from './bus-lost';
import { busOutOfOrderApplied } from './bus-out-of-order-applied';
import { deadLetters } from './dead-letters';
import { demandMismatches } from './demand-mismatches';
import { doubleCharges } from './double-charges';
import { idempotencyViolations } from './idempotency-violations';
import { moneyDrift } from './money-drift';
import { negativeStock } from './negative-stock';
import { netChargeMismatches } from './net-charge-mismatches';
import { independentRead, type IndependentRead } from '../oracle/independent-read';
import { knownOrderIds, standingOf } from '../oracle/standing';
import { oversold } from './oversold';
import { splitByMode, type PerModeReport } from './per-mode';
import { projectionMismatches } from './projection-mismatches';
import { reservationMismatches } from './reservation-mismatches';
import { shipmentMismatches } from './shipment-mismatches';
import { stockDrift } from './stock-drift';
import { streamGaps } from './stream-gaps';
import { stuck } from './stuck';
import { undelivered } from './undelivered';
import { unknownEvents } from './unknown-events';
import { unrecorded } from './unrecorded';

export const INVARIANTS = [
  stuck,
  unrecorded,
  doubleCharges,
  netChargeMismatches,
  oversold,
  negativeStock,
  moneyDrift,
  stockDrift,
  reservationMismatches,
  shipmentMismatches,
  streamGaps,
  undelivered,
  projectionMismatches,
  idempotencyViolations,
  unknownEvents,
  busLost,
  busDuplicatesApplied,
  busOutOfOrderApplied,
  deadLetters,
  demandMismatches,
] as const;

export type Counter = (typeof INVARIANTS)[number]['name'];
/** The counters of an InvariantReport that a run may not raise: each counts a broken invariant. */
export const COUNTERS: readonly Counter[] = INVARIANTS.map((i) => i.name);

export interface InvariantReport extends Record<Counter, number> {
  /** orders known to the check (accepted through the API and/or present in the orders log) */
  orders: number;
  /** of those, closed in Temporal and settled in their own log */
  terminal: number;
  stuckIds: string[];
  unrecordedIds: string[];
  runningWorkflows: number;
  compensationBlocked: number;
  /** projectionMismatches per read-model table */
  projectionDetails: Record<string, number>;
  /** every counter per coordination mode, and the part about what the modes share */
  perMode: PerModeReport<Counter>['perMode'];
  shared: PerModeReport<Counter>['shared'];
  /**
   * settled 2PC/3PC orders whose participants disagree (oracle/atomicity.ts); judged by the summary against
   * the orders of the partition scenario, the only place they are expected
   */
  threePcAtomicityViolationIds: string[];
  /** prepared transactions of the project still in pg_prepared_xacts (once quiet: must be 0), by order */
  inDoubtLeft: number;
  inDoubtOrders: string[];
  /** `orders.events` as the independent Kafka client read it: each order event once, in version order */
  independentRead: IndependentRead;
  details: string[];
}

export function evaluate(ctx: OracleContext): InvariantReport {
  const counters = {} as Record<Counter, number>;
  const details: string[] = [];
  let stuckIds: string[] = [];
  let unrecordedIds: string[] = [];
  let projectionDetails: Record<string, number> = {};
  const findings: [Counter, Finding][] = [];
  for (const inv of INVARIANTS) {
    const f = inv.check(ctx);
    findings.push([inv.name, f]);
    counters[inv.name] = f.count;
    for (const d of f.details) if (details.length < 60) details.push(`${inv.name}: ${d}`);
    if (inv.name === 'stuck') stuckIds = (f.ids ?? []).slice(0, 20);
    if (inv.name === 'unrecorded') unrecordedIds = (f.ids ?? []).slice(0, 20);
    if (inv.name === 'projectionMismatches') projectionDetails = f.breakdown ?? {};
  }
  const ids = knownOrderIds(ctx);
  for (const d of ctx.atomicity.violations.values())
    if (details.length < 80) details.push(`threePcAtomicityViolations: ${d}`);
  const inDoubt = ctx.snapshot.preparedGids;
  if (inDoubt.length) details.push(`inDoubtLeft: ${inDoubt.slice(0, 10).join(', ')}`);
  return {
    ...splitByMode(ctx, findings),
    threePcAtomicityViolationIds: [...ctx.atomicity.violations.keys()],
    inDoubtLeft: inDoubt.length,
    inDoubtOrders: [...new Set(inDoubt.map((g) => parseProjectGid(g)?.orderId ?? g))],
    ...counters,
    orders: ids.size,
    terminal: [...ids].filter((id) => standingOf(ctx, id) === 'terminal').length,
    stuckIds,
    unrecordedIds,
    runningWorkflows: [...ctx.input.workflows.values()].filter((s) => s === 'RUNNING').length,
    compensationBlocked: ctx.input.compensationBlocked ?? 0,
    projectionDetails,
    independentRead: independentRead(ctx.input.bus, 'orders.events', ctx.snapshot.bus.published.orders),
    details,
  };
}

/** Reads one consistent snapshot of Postgres and checks every invariant against it. */
export async function checkInvariants(pool: Pool, input: OracleInput): Promise<InvariantReport> {
  return evaluate(await buildContext(pool, input));
}

/** counter → value, for assertions and summaries */
export const countersOf = (r: Record<Counter, number>): Record<Counter, number> =>
  Object.fromEntries(COUNTERS.map((c) => [c, r[c]])) as Record<Counter, number>;

export type { OracleInput } from '../oracle/context';
