/**
 * The shape of latest.json: what each section puts into `ctx.results` under its own key. A new section may
 * add a key of its own (any name; it is written after the known ones) and ratios through `addRatios`.
 */
import type { ShapeStep } from '../lib/history-costs';
import type { LoadResult, OpenLoopResult } from '../lib/load';
import type { LatencySummary, PairedRatio } from '../lib/stats';

export interface ClosedLoopFigures extends LoadResult {
  concurrency: number;
  /** the rate of each interleaved round, in round order */
  perRound: number[];
}

/** where a kind's time went, from a sample of its workflow histories (bench/lib/history.ts) */
export interface Breakdown {
  sampled: number;
  method?: string;
  perActivity?: Record<
    string,
    { queueWaitP50Ms: number; runP50Ms: number; runP90Ms: number; retried: number }
  >;
  outsideActivitiesP50Ms?: number;
  slowest?: Record<string, unknown>;
}

export interface PostgresPerOrder {
  method: string;
  commits: number;
  walRecords: number;
  walKb: number;
  rowWritesByTable: Record<string, number>;
}

export interface SagaResult {
  method: string;
  activities: number;
  localActivities: number;
  closedLoop: ClosedLoopFigures;
  postgresPerOrder: PostgresPerOrder;
  breakdown?: Breakdown;
  openLoop?: { method: string; rungs: OpenLoopResult[]; kneePerSecond: number | null; kneeRule: string };
}

export interface BaselineResult {
  method: string;
  activities?: number;
  localActivities?: number;
  closedLoop: ClosedLoopFigures;
  breakdown?: Breakdown;
}

export interface EventStoreLevel {
  writers: number;
  appendsPerSecond: number;
  appendP99Ms: number;
  plainInsertsPerSecond: number;
  plainP99Ms: number;
  ratio: number;
  /** the same appends with the store's group commit off (every append its own statement and commit) */
  withoutGroupCommitPerSecond: number | null;
  withoutGroupCommitRatio: number | null;
  /** appends that also write an outbox row (what every saga activity does) */
  appendWithOutboxPerSecond: number | null;
  appendWithOutboxP99Ms: number | null;
  withOutboxRatio: number | null;
  /** Emmett's PostgreSQL event store, same event, same server, same pool size */
  emmettPerSecond: number;
  emmettP99Ms: number;
  /** ours (appendsPerSecond) ÷ Emmett */
  vsEmmett: number;
  /** statements the server ran per operation (plain, append, appendSolo, emmett), untimed run */
  statementsPerOp: Record<string, number>;
  statementsCounted: boolean;
}

export interface Ratios {
  /** saga ÷ bare: the median of the per-round ratios (`sagaOverheadRounds`) */
  sagaOverhead: number;
  stubbedOverBare: number;
  fullOverStubbed: number;
  eventStoreEfficiency: number;
  sagaOverheadRounds: PairedRatio;
  stubbedOverBareRounds: PairedRatio;
  fullOverStubbedRounds: PairedRatio;
  /** ours ÷ Emmett appends per second, by writer count, and the lowest */
  vsEmmett: Record<string, number> & { min: number };
  [ratio: string]: unknown;
}

export interface CostGrowth {
  bare: {
    method: string;
    points: (LatencySummary & { activities: number })[];
    msPerActivity: number;
    interceptMs: number;
    r2: number;
  };
  saga: { feasible: boolean; reason: string };
  workersPerQueue?: { method: string; points: (LoadResult & { workersPerQueue: number })[] };
}

/** one saga path's counts per order (bench/lib/cost-count.ts); null: not countable on this Postgres */
export interface PathCosts {
  entry: string;
  outcome: string;
  failsAt?: string;
  orders: number;
  historyEvents: number | null;
  workflowTasks: number | null;
  activityTasks: number | null;
  activityAttempts: number | null;
  localActivities: number | null;
  historyBytes: number | null;
  pgStatements: number | null;
  pgStatementsTimerShared: number | null;
  walCommits: number | null;
  walRecords: number | null;
  walBytes: number | null;
  timers: number | null;
  searchAttributeUpserts: number | null;
  markers: number | null;
  retriedWorkflowTaskEvents: number | null;
  varies: Record<string, (number | null)[]>;
  eventsByType: Record<string, number>;
  statementsByQuery: { calls: number; query: string }[] | null;
}

export interface Costs {
  method: string;
  ordersPerPath: number;
  background: unknown;
  budget: {
    file: string;
    happyOrder: { historyEvents: number; workflowTasks: number };
    target: { historyEvents: number; workflowTasks: number };
    withinBudget: boolean;
  };
  paths: Record<string, PathCosts>;
}

/** the happy saga's steps, read from its history (bench/sections/saga-shape.ts) */
export interface SagaShape {
  method: string;
  activities: number;
  localActivities: number;
  steps: ShapeStep[];
}

export interface KnownResults {
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  sagaShape: SagaShape;
  saga: SagaResult;
  bareTemporal: BaselineResult;
  stubbedSaga: BaselineResult;
  ratios: Ratios;
  /** per kind: CPU ms per order by process group (see bench/lib/cpu.ts), or why it is missing */
  cpuPerOrder: Record<string, unknown> | string;
  eventStore: {
    method: string;
    secondsPerWorkload: number;
    poolMax: number | null;
    /** bench/lib/peer-fairness.ts: stale versions refused by both, same payload stored */
    fairness: unknown;
    levels: EventStoreLevel[];
  };
  projectionLag: Record<string, unknown> & Partial<LatencySummary>;
  costGrowth: CostGrowth;
  costs: Costs;
}

/** The results the chart and the table read, every part present. */
export type Reportable = KnownResults & {
  saga: SagaResult & Required<Pick<SagaResult, 'openLoop'>>;
  costGrowth: CostGrowth & Required<Pick<CostGrowth, 'workersPerQueue'>>;
};

/** the known sections' keys in the order latest.json lists them (other keys follow, in insertion order) */
export const RESULT_ORDER: readonly (keyof KnownResults)[] = [
  'versions',
  'settings',
  'sagaShape',
  'saga',
  'bareTemporal',
  'stubbedSaga',
  'ratios',
  'cpuPerOrder',
  'eventStore',
  'projectionLag',
  'costGrowth',
  'costs',
];

export type BenchResults = Partial<KnownResults> & Record<string, unknown>;

/** An earlier section's result, or a clear error naming the section that should have produced it. */
export function need<K extends keyof KnownResults>(results: BenchResults, key: K): KnownResults[K] {
  const value = results[key];
  if (value === undefined) throw new Error(`no results.${key}: the section that writes it must run first`);
  return value as KnownResults[K];
}

/** Adds ratios to results.ratios (sections that compute a same-run ratio put it there). */
export function addRatios(results: BenchResults, ratios: Partial<Ratios>): void {
  results.ratios = { ...results.ratios, ...ratios } as Ratios;
}
