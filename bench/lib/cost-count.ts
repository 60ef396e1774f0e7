/**
 * One order of a cost path, counted (bench/lib/cost-paths.ts says what each path does): its workflow
 * history (bench/lib/history-costs.ts) and the Postgres work between a quiet stack before it and a quiet
 * stack after it (bench/lib/pg-statements.ts). Quiet: every outbox message of the four services delivered,
 * so the relays and projections the order caused are inside the window and nothing of an earlier order is.
 *
 * Statements are split by what can be counted exactly: `pgStatements` are those no timer runs, so only
 * orders cause them (commands, appends, deliveries, projections, the gateway's record). The statements seen
 * while the stack idles (`background`: the relays' batch fetch, which the relays also run after every
 * wake-up, and the standby relays' election) are counted apart in `pgStatementsTimerShared`, which depends
 * on how many 1-second polls fall inside the window.
 */
import type { PoolClient } from 'pg';
import { SERVICES } from '../../src/platform/stack';
import type { CostPath, CostPathDeps } from './cost-paths';
import { historyCosts, type HistoryCosts } from './history-costs';
import { pgSnapshot, statementDiff, undelivered, walBetween, type PgSnapshot } from './pg-statements';
import type { PathCosts } from '../report/result';
import { median, round } from './stats';

export interface OrderCount extends Omit<HistoryCosts, 'byType' | 'retriedWorkflowTaskEvents'> {
  pgStatements: number | null;
  pgStatementsTimerShared: number | null;
  walCommits: number;
  walRecords: number;
  walBytes: number;
  eventsByType: Record<string, number>;
  retriedWorkflowTaskEvents: number;
  /** statements (top level) of this order by normalised text, most frequent first */
  statementsByQuery: { calls: number; query: string }[] | null;
}

/** Waits until every outbox message of the four services is delivered (relays and projections done). */
export async function quiet(client: PoolClient): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await undelivered(client, SERVICES)) > 0) {
    if (Date.now() > deadline) throw new Error('outbox messages still undelivered after 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Background {
  seconds: number;
  /** queryid → normalised text of the statements that ran while nothing happened */
  statements: Map<string, string>;
  calls: number;
}

/** The statements that run on a quiet stack over `seconds` (timers: relay polls, standby elections). */
export async function idleStatements(client: PoolClient, seconds: number): Promise<Background> {
  await quiet(client);
  const before = await pgSnapshot(client);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const diff = statementDiff(before, await pgSnapshot(client));
  return {
    seconds,
    statements: new Map([...diff.calls].map(([id, x]) => [id, x.query])),
    calls: [...diff.calls.values()].reduce((s, x) => s + x.calls, 0),
  };
}

const compact = (q: string) => q.replace(/\s+/g, ' ').trim().slice(0, 100);

function statementCounts(before: PgSnapshot, after: PgSnapshot, background: Background) {
  const diff = statementDiff(before, after);
  let own = 0;
  let shared = 0;
  for (const [id, x] of diff.calls) {
    if (background.statements.has(id)) shared += x.calls;
    else own += x.calls;
  }
  const byQuery = [...diff.calls.values()]
    .map((x) => ({ calls: x.calls, query: compact(x.query) }))
    .sort((a, b) => b.calls - a.calls || a.query.localeCompare(b.query));
  return { own, shared, byQuery };
}

/** Runs one order of `path` between two quiet points and counts it. */
export async function countOrder(
  deps: CostPathDeps,
  client: PoolClient,
  path: CostPath,
  background: Background | undefined,
): Promise<OrderCount> {
  const order = await path.prepare(deps);
  await quiet(client);
  const before = await pgSnapshot(client);
  const { workflowId, result } = await path.run(deps, order);
  if (result.status !== path.expect || (path.failsAt && result.failure?.step !== path.failsAt)) {
    throw new Error(
      `${path.name}: expected ${path.expect}${path.failsAt ? ` at ${path.failsAt}` : ''}, got ${JSON.stringify(result)}`,
    );
  }
  await quiet(client);
  const after = await pgSnapshot(client);
  const wal = await walBetween(client, before.lsn, after.lsn);
  const { byType, ...history } = historyCosts(
    await deps.client.workflow.getHandle(workflowId).fetchHistory(),
  );
  const st = background ? statementCounts(before, after, background) : undefined;
  return {
    ...history,
    pgStatements: st?.own ?? null,
    pgStatementsTimerShared: st?.shared ?? null,
    walCommits: wal.commits,
    walRecords: wal.records,
    walBytes: wal.bytes,
    eventsByType: byType,
    statementsByQuery: st?.byQuery ?? null,
  };
}

const NUMERIC = [
  'historyEvents',
  'workflowTasks',
  'activityTasks',
  'activityAttempts',
  'localActivities',
  'timers',
  'searchAttributeUpserts',
  'markers',
  'historyBytes',
  'retriedWorkflowTaskEvents',
  'pgStatements',
  'pgStatementsTimerShared',
  'walCommits',
  'walRecords',
  'walBytes',
] as const;

/**
 * A path's figures over its orders: the median of each count, and under `varies` every count that was
 * not the same in all of them (with the values), so a count that depends on timing shows as such. The
 * statement and event breakdowns are the first order's.
 */
export function summarizePath(path: CostPath, orders: OrderCount[]): PathCosts {
  const figures = {} as Record<(typeof NUMERIC)[number], number | null>;
  const varies: Record<string, (number | null)[]> = {};
  for (const k of NUMERIC) {
    const values = orders.map((o) => o[k]);
    const nums = values.filter((v): v is number => v !== null);
    figures[k] = nums.length === values.length ? round(median(nums), 1) : null;
    if (new Set(values).size > 1) varies[k] = values;
  }
  const first = orders[0]!;
  return {
    entry: path.entry,
    outcome: path.expect,
    ...(path.failsAt ? { failsAt: path.failsAt } : {}),
    orders: orders.length,
    ...figures,
    varies,
    eventsByType: first.eventsByType,
    statementsByQuery: first.statementsByQuery,
  };
}
