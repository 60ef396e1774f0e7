/** The chaos run's summary (printed, written to chaos/results) and the list of what broke. */
import { COUNTERS, type Counter, type InvariantReport } from '../invariants';
import type { IndependentRead } from '../oracle/independent-read';
import type { ChaosOptions } from '../lib/options';
import type { OrdersClient } from '../lib/orders-client';
import type {
  BreakerCycle,
  ChaosRecord,
  ContentionResult,
  IdempotencyResult,
  PhaseReport,
} from '../scenarios/context';
import type { ClusterResult } from '../scenarios/cluster';
import type { PartitionResult } from '../scenarios/partition';
import { MODES, type Mode } from '../oracle/modes';
import { SAGA_MODES } from '../lib/modes';

/** one mode's figures: each counter's worst value over the phases, its orders and how many ended terminal */
export type ModeSummary = Record<Counter, number> & { orders: number; terminal: number };

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
  /** submissions (orders) that got no answer or a 5xx at the API before their answer */
  ordersWithApiError: number;
  /** those failed attempts by status (0: no answer) */
  apiErrorStatuses: Record<string, number>;
  cancelStatuses: Record<string, number>;
  breaker: BreakerCycle | null;
  /** one burst per saga mode */
  contention: ContentionResult[] | null;
  /** every counter per coordination mode (the part of each that names an order of that mode) */
  perMode: Record<Mode, ModeSummary>;
  /** per counter, the part about what the modes share (a SKU, an account, an outbox, an aggregate row) */
  shared: Record<Counter, number>;
  /** settled 2PC/3PC orders whose participants disagree, over every phase */
  threePcAtomicityViolations: number;
  /** of those, in the partition scenario (expected > 0 when it runs) and elsewhere (must be 0) */
  threePcAtomicity: { partitionScenario: number; elsewhere: number; elsewhereIds: string[] };
  /** prepared transactions of the project left in pg_prepared_xacts at the end (must be 0) */
  inDoubtLeft: number;
  partition: PartitionResult | null;
  idempotency: IdempotencyResult | null;
  /**
   * the bus: its faults (injected, recovered by their markers) and, after the run, `orders.events` read from
   * the beginning by the Kafka distribution's console consumer (each order event once, in version order)
   */
  bus: { faults: ChaosRecord['busFaults']; independentRead: IndependentRead };
  /** --cluster: the cluster's faults, each with its recovery marker and its time to recover from the logs */
  cluster: ClusterResult | null;
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
  const violations = new Set(phases.flatMap((p) => p.threePcAtomicityViolationIds));
  const partitioned = new Set(rec.partition?.orders ?? []);
  const elsewhereIds = [...violations].filter((id) => !partitioned.has(id));
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
    ordersWithApiError: orders.apiErrors.size,
    apiErrorStatuses: countStatuses([...orders.apiErrors.values()].flat()),
    cancelStatuses: rec.cancelStatuses,
    breaker: rec.breaker ?? null,
    contention: rec.contention ?? null,
    perMode: perModeOf(phases, final),
    shared: Object.fromEntries(
      COUNTERS.map((c) => [c, Math.max(0, ...phases.map((p) => p.shared[c]))]),
    ) as Record<Counter, number>,
    threePcAtomicityViolations: violations.size,
    threePcAtomicity: {
      partitionScenario: violations.size - elsewhereIds.length,
      elsewhere: elsewhereIds.length,
      elsewhereIds: elsewhereIds.slice(0, 20),
    },
    inDoubtLeft: final.inDoubtLeft,
    partition: rec.partition ?? null,
    idempotency: rec.idempotency ?? null,
    bus: { faults: rec.busFaults, independentRead: final.independentRead },
    cluster: rec.cluster ?? null,
    phases: rec.phases,
    details: rec.details.slice(0, 200),
    seconds: Math.round((Date.now() - a.started) / 1000),
    startedAt: new Date(a.started).toISOString(),
  };
  summary.failures = failuresOf(summary, a.opts);
  summary.ok = summary.failures.length === 0;
  return summary;
}

/** per mode, each counter's worst value over the phases; its orders and terminal ones at the end */
function perModeOf(phases: PhaseReport[], final: InvariantReport): Record<Mode, ModeSummary> {
  return Object.fromEntries(
    MODES.map((m) => [
      m,
      {
        ...Object.fromEntries(
          COUNTERS.map((c) => [c, Math.max(0, ...phases.map((p) => p.perMode[m].counters[c]))]),
        ),
        orders: final.perMode[m].orders,
        terminal: final.perMode[m].terminal,
      },
    ]),
  ) as Record<Mode, ModeSummary>;
}

/** contention: one burst per saga mode, each with every order accepted and exactly the stock completed */
function contentionFailures(bursts: ContentionResult[] | null): string[] {
  if (!bursts) return ['the contention scenario did not run'];
  const f: string[] = [];
  for (const m of SAGA_MODES) if (!bursts.some((c) => c.mode === m)) f.push(`contention: no burst in ${m}`);
  for (const c of bursts) {
    if (c.accepted !== c.orders) f.push(`contention (${c.mode}): only ${c.accepted}/${c.orders} accepted`);
    if (c.completed !== c.stock)
      f.push(`contention (${c.mode}): ${c.completed} completed for ${c.stock} units (exactly the stock)`);
    if (c.completed + c.outOfStock !== c.accepted)
      f.push(
        `contention (${c.mode}): ${c.completed} completed + ${c.outOfStock} out of stock != ${c.accepted} accepted` +
          (c.otherOutcomes && Object.keys(c.otherOutcomes).length
            ? `; the others: ${JSON.stringify(c.otherOutcomes)}`
            : ''),
      );
  }
  return f;
}

/** 3PC: violations only in the partition scenario, and there at least one; nothing left in doubt */
function atomicCommitFailures(s: ChaosSummary, opts: Pick<ChaosOptions, 'cluster'>): string[] {
  const f: string[] = [];
  if (s.inDoubtLeft !== 0) f.push(`inDoubtLeft = ${s.inDoubtLeft}`);
  const a = s.threePcAtomicity;
  if (a.elsewhere !== 0)
    f.push(
      `threePcAtomicityViolations outside the partition scenario = ${a.elsewhere}: ${a.elsewhereIds.join(', ')}`,
    );
  if (!opts.cluster) {
    if (!s.partition) f.push('the partition scenario did not run');
    else if (a.partitionScenario === 0)
      f.push(
        `threePcAtomicityViolations in the partition scenario = 0 (expected > 0): ${JSON.stringify({ ...s.partition, orders: s.partition.orders.length })}`,
      );
  }
  return f;
}

function countStatuses(statuses: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const st of statuses) out[st] = (out[st] ?? 0) + 1;
  return out;
}

/** --cluster: all four faults injected mid-run, each recovered, every saga in flight at each progressed again. */
function clusterFailures(c: ClusterResult | null): string[] {
  if (!c) return ['the cluster scenario did not run'];
  const f: string[] = [];
  if (c.faults.length !== 4) f.push(`cluster: ${c.faults.length} of 4 faults injected`);
  for (const x of c.faults) {
    if (x.sagasRunning < 1) f.push(`cluster: ${x.fault} landed with no saga running`);
    if (x.markerMs < 0) f.push(`cluster: ${x.fault} not recovered (${x.marker})`);
    if (!x.inFlight) f.push(`cluster: ${x.fault}: no saga in flight at it (nothing to recover)`);
    else if (x.progressed !== x.inFlight || x.recoverMs === undefined || x.recoverMs < 0)
      f.push(`cluster: ${x.fault}: ${x.progressed}/${x.inFlight} sagas in flight progressed again`);
  }
  return f;
}

/** The bus's planned faults happened and recovered; the independent read saw each order event once, in order. */
function busFailures(s: ChaosSummary, want: ChaosOptions['faults']['bus']): string[] {
  const f: string[] = [];
  const { injected, recovered } = s.bus.faults;
  const planned = { broker: want.brokerRestarts, consumers: want.consumerKills, relay: want.relayKills };
  for (const k of ['broker', 'consumers', 'relay'] as const)
    if (injected[k] !== planned[k] || recovered[k] !== planned[k])
      f.push(`bus ${k} faults: ${injected[k]} injected, ${recovered[k]} recovered, ${planned[k]} planned`);
  const r = s.bus.independentRead;
  if (r.events === 0 || r.duplicates > 0 || r.outOfOrder > 0 || r.missing > 0)
    f.push(`independent read of orders.events: ${JSON.stringify(r)}`);
  return f;
}

/** Which invariants broke and which planned faults did not happen as planned (empty = all hold). */
export function failuresOf(
  s: ChaosSummary,
  opts: Pick<ChaosOptions, 'faults' | 'mode' | 'cluster'>,
): string[] {
  const f: string[] = [];
  const zero = [...COUNTERS, 'hostile5xx', 'hostileNon4xx', 'hostileWrites', 'submitGaveUp'] as const;
  for (const k of zero) if (s[k] !== 0) f.push(`${k} = ${s[k]}`);
  f.push(...s.problems);
  if (s.ordersSubmitted === 0) f.push('no order was accepted');
  if (s.ordersSubmitted !== s.submissions)
    f.push(`orders: ${s.ordersSubmitted} accepted of ${s.submissions} submitted`);
  if (s.terminal !== s.ordersSubmitted)
    f.push(`orders: ${s.terminal} terminal of ${s.ordersSubmitted} accepted`);
  f.push(...contentionFailures(s.contention));
  f.push(...atomicCommitFailures(s, opts));
  const i = s.idempotency;
  if (!i || i.distinctOrders !== 1 || i.workflows !== 1 || i.orderStreams !== 1 || i.mismatchStatus !== 422)
    f.push(`idempotency: ${JSON.stringify(i)}`);
  // the planned faults happened, each landed while sagas ran, and each recovery was seen
  const want = opts.faults;
  const kills = want.workerKills + (opts.mode === 'full' && want.workerKills > 0 ? 1 : 0);
  const { brokerRestarts, consumerKills, relayKills } = want.bus;
  const planned =
    kills +
    Number(want.temporalRestart) +
    Number(want.postgresRestart) +
    brokerRestarts +
    consumerKills +
    relayKills;
  if (s.killsInjected !== kills || s.recovered.workers !== kills)
    f.push(`worker kills: ${s.killsInjected} injected, ${s.recovered.workers} restarted, ${kills} planned`);
  if (s.temporalRestarts !== Number(want.temporalRestart) || s.recovered.temporal !== s.temporalRestarts)
    f.push(`Temporal restarts: ${s.temporalRestarts} injected, ${s.recovered.temporal} back`);
  if (s.postgresRestarts !== Number(want.postgresRestart) || s.recovered.postgres !== s.postgresRestarts)
    f.push(`Postgres restarts: ${s.postgresRestarts} injected, ${s.recovered.postgres} back`);
  if (s.faultsLandedMidRun !== planned)
    f.push(`faults: ${s.faultsLandedMidRun} of ${planned} landed while sagas were running`);
  f.push(...busFailures(s, want.bus));
  if (opts.cluster) f.push(...clusterFailures(s.cluster));
  if (want.carrier) {
    const b = s.breaker;
    if (!b || b.opened < 1 || b.halfOpened < 1 || b.closed < 1 || b.openAfterMs < 0 || b.closedAfterMs < 0)
      f.push(`carrier breaker: no open → half-open → closed cycle seen: ${JSON.stringify(b)}`);
  }
  return f;
}
