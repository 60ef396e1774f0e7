/** The chaos run's summary (printed, written to chaos/results) and the list of what broke. */
import { COUNTERS, type Counter, type InvariantReport } from '../invariants';
import type { ChaosOptions } from '../lib/options';
import type { OrdersClient } from '../lib/orders-client';
import type {
  BreakerCycle,
  ChaosRecord,
  ContentionResult,
  IdempotencyResult,
  PhaseReport,
} from '../scenarios/context';

export interface ChaosSummary extends Record<Counter, number> {
  ok: boolean;
  mode: string;
  failures: string[];
  /** orders accepted (202) */
  ordersSubmitted: number;
  /** distinct submissions (Idempotency-Keys) the suite made */
  submissions: number;
  terminal: number;
  compensationBlocked: number;
  completed: number;
  failed: number;
  cancelled: number;
  hostileRequests: number;
  hostile5xx: number;
  hostileNon4xx: number;
  hostileWrites: number;
  killsInjected: number;
  temporalRestarts: number;
  postgresRestarts: number;
  /** recoveries seen by their positive marker */
  recovered: ChaosRecord['recovered'];
  /** injected faults that landed while at least one saga was running */
  faultsLandedMidRun: number;
  /** processes started again by the supervisor after the stack was up */
  restarts: number;
  restartsByProcess: Record<string, number>;
  faults: string[];
  problems: string[];
  submitRetries: number;
  submitGaveUp: number;
  cancelStatuses: Record<string, number>;
  breaker: BreakerCycle | null;
  contention: ContentionResult | null;
  idempotency: IdempotencyResult | null;
  phases: Record<string, PhaseReport>;
  details: string[];
  seconds: number;
  startedAt: string;
}

export function summarize(a: {
  opts: ChaosOptions;
  rec: ChaosRecord;
  orders: OrdersClient;
  final: InvariantReport;
  outcomes: { completed: number; failed: number; cancelled: number };
  restartsByProcess: Record<string, number>;
  started: number;
}): ChaosSummary {
  const { rec, orders, final } = a;
  const phases = Object.values(rec.phases);
  // a counter's worst value over every phase: a drift that healed by the end still broke an invariant
  const counters = Object.fromEntries(
    COUNTERS.map((c) => [c, Math.max(0, ...phases.map((p) => p[c]))]),
  ) as Record<Counter, number>;
  const summary: ChaosSummary = {
    ok: false,
    mode: a.opts.mode,
    failures: [],
    ordersSubmitted: orders.submitted.size,
    submissions: orders.submissions,
    terminal: final.terminal,
    ...counters,
    compensationBlocked: final.compensationBlocked,
    ...a.outcomes,
    hostileRequests: rec.hostile?.requests ?? 0,
    hostile5xx: rec.hostile?.answered5xx ?? 0,
    hostileNon4xx: rec.hostile?.non4xx ?? 0,
    hostileWrites: rec.hostile?.writes ?? 0,
    killsInjected: rec.injected.workerKills,
    temporalRestarts: rec.injected.temporalRestarts,
    postgresRestarts: rec.injected.postgresRestarts,
    recovered: rec.recovered,
    faultsLandedMidRun: rec.landedMidRun,
    restarts: Object.values(a.restartsByProcess).reduce((x, y) => x + y, 0),
    restartsByProcess: a.restartsByProcess,
    faults: rec.faults,
    problems: rec.problems.slice(0, 100),
    submitRetries: orders.retries,
    submitGaveUp: orders.gaveUp,
    cancelStatuses: rec.cancelStatuses,
    breaker: rec.breaker ?? null,
    contention: rec.contention ?? null,
    idempotency: rec.idempotency ?? null,
    phases: rec.phases,
    details: rec.details.slice(0, 200),
    seconds: Math.round((Date.now() - a.started) / 1000),
    startedAt: new Date(a.started).toISOString(),
  };
  summary.failures = failuresOf(summary, a.opts);
  summary.ok = summary.failures.length === 0;
  return summary;
}

/** Which invariants broke and which planned faults did not happen as planned (empty = all hold). */
export function failuresOf(s: ChaosSummary, opts: Pick<ChaosOptions, 'faults' | 'mode'>): string[] {
  const f: string[] = [];
  const zero = [...COUNTERS, 'hostile5xx', 'hostileNon4xx', 'hostileWrites', 'submitGaveUp'] as const;
  for (const k of zero) if (s[k] !== 0) f.push(`${k} = ${s[k]}`);
  f.push(...s.problems);
  if (s.ordersSubmitted === 0) f.push('no order was accepted');
  if (s.ordersSubmitted !== s.submissions)
    f.push(`orders: ${s.ordersSubmitted} accepted of ${s.submissions} submitted`);
  if (s.terminal !== s.ordersSubmitted)
    f.push(`orders: ${s.terminal} terminal of ${s.ordersSubmitted} accepted`);
  const c = s.contention;
  if (!c) f.push('the contention scenario did not run');
  else {
    if (c.accepted !== c.orders) f.push(`contention: only ${c.accepted}/${c.orders} accepted`);
    if (c.completed < 1 || c.completed > c.stock)
      f.push(`contention: ${c.completed} completed for ${c.stock} units (at least 1, at most the stock)`);
    if (c.completed + c.outOfStock !== c.accepted)
      f.push(`contention: ${c.completed} completed + ${c.outOfStock} out of stock != ${c.accepted} accepted`);
  }
  const i = s.idempotency;
  if (!i || i.distinctOrders !== 1 || i.workflows !== 1 || i.orderStreams !== 1 || i.mismatchStatus !== 422)
    f.push(`idempotency: ${JSON.stringify(i)}`);
  // the planned faults happened, each landed while sagas ran, and each recovery was seen
  const want = opts.faults;
  const kills = want.workerKills + (opts.mode === 'full' && want.workerKills > 0 ? 1 : 0);
  const planned = kills + Number(want.temporalRestart) + Number(want.postgresRestart);
  if (s.killsInjected !== kills || s.recovered.workers !== kills)
    f.push(`worker kills: ${s.killsInjected} injected, ${s.recovered.workers} restarted, ${kills} planned`);
  if (s.temporalRestarts !== Number(want.temporalRestart) || s.recovered.temporal !== s.temporalRestarts)
    f.push(`Temporal restarts: ${s.temporalRestarts} injected, ${s.recovered.temporal} back`);
  if (s.postgresRestarts !== Number(want.postgresRestart) || s.recovered.postgres !== s.postgresRestarts)
    f.push(`Postgres restarts: ${s.postgresRestarts} injected, ${s.recovered.postgres} back`);
  if (s.faultsLandedMidRun !== planned)
    f.push(`faults: ${s.faultsLandedMidRun} of ${planned} landed while sagas were running`);
  if (want.carrier) {
    const b = s.breaker;
    if (!b || b.opened < 1 || b.halfOpened < 1 || b.closed < 1 || b.openAfterMs < 0 || b.closedAfterMs < 0)
      f.push(`carrier breaker: no open → half-open → closed cycle seen: ${JSON.stringify(b)}`);
  }
  return f;
}
