/**
 * The shape of latest.json: what each section puts into `ctx.results` under its own key. A new section may
 * add a key of its own (any name; it is written after the known ones) and ratios through `addRatios`.
 */
import type { LoadResult, OpenLoopResult } from '../lib/load';
import type { LatencySummary } from '../lib/stats';

export interface ClosedLoopFigures extends LoadResult {
  concurrency: number;
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
  closedLoop: ClosedLoopFigures;
  postgresPerOrder: PostgresPerOrder;
  breakdown?: Breakdown;
  openLoop?: { method: string; rungs: OpenLoopResult[]; kneePerSecond: number | null; kneeRule: string };
}

export interface BaselineResult {
  method: string;
  activities?: number;
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
}

export interface Ratios {
  sagaOverhead: number;
  stubbedOverBare: number;
  fullOverStubbed: number;
  eventStoreEfficiency: number;
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

export interface KnownResults {
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  saga: SagaResult;
  bareTemporal: BaselineResult;
  stubbedSaga: BaselineResult;
  ratios: Ratios;
  /** per kind: CPU ms per order by process group (see bench/lib/cpu.ts), or why it is missing */
  cpuPerOrder: Record<string, unknown> | string;
  eventStore: { method: string; secondsPerWorkload: number; levels: EventStoreLevel[] };
  projectionLag: Record<string, unknown> & Partial<LatencySummary>;
  costGrowth: CostGrowth;
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
  'saga',
  'bareTemporal',
  'stubbedSaga',
  'ratios',
  'cpuPerOrder',
  'eventStore',
  'projectionLag',
  'costGrowth',
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
