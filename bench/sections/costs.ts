/**
 * Costs per order, counted rather than timed: for each saga path (bench/lib/cost-paths.ts), orders one at a
 * time on the quiet stack, each counted from its workflow history and from Postgres (bench/lib/cost-count.ts):
 * history events, workflow tasks, activity tasks and attempts, local activities, history bytes; Postgres
 * statements (pg_stat_statements) and WAL-writing commits, WAL records and bytes (pg_walinspect). None of
 * them depends on the machine's speed. Autovacuum is off while it runs (its ANALYZE commits would land in an
 * order's window) and on again after. Writes results.costs, with the happy order against bench/budget.json.
 */
import { readBudget } from '../lib/budget';
import type { Section } from '../lib/context';
import { countOrder, idleStatements, quiet, summarizePath, type OrderCount } from '../lib/cost-count';
import { COST_PATHS, type CostPathDeps } from '../lib/cost-paths';
import { enableCounters, MARK } from '../lib/pg-statements';
import { round } from '../lib/stats';
import type { PathCosts } from '../report/result';

export const costs: Section = {
  name: 'costs',
  async run(ctx) {
    const { profile } = ctx;
    const counters = await enableCounters(ctx.pool);
    ctx.say(
      `costs: ${COST_PATHS.length} paths × ${profile.costOrders} order(s), one at a time` +
        (counters.ok ? '' : ` (no statement counts: ${counters.why})`),
    );
    const client = await ctx.pool.connect();
    const deps: CostPathDeps = { stack: ctx.stack, client: ctx.client, adminToken: ctx.adminToken };
    try {
      await client.query(`${MARK} ALTER SYSTEM SET autovacuum = off`);
      await client.query(`${MARK} SELECT pg_reload_conf()`);
      await quiet(client);
      const background = counters.ok ? await idleStatements(client, profile.costIdleSeconds) : undefined;
      const paths: Record<string, PathCosts> = {};
      for (const path of COST_PATHS) {
        const orders: OrderCount[] = [];
        for (let i = 0; i < profile.costOrders; i++)
          orders.push(await countOrder(deps, client, path, background));
        const s = (paths[path.name] = summarizePath(path, orders));
        ctx.say(
          `  ${path.name.padEnd(19)} ${s.historyEvents} events, ${s.workflowTasks} workflow tasks, ` +
            `${s.activityTasks} activity + ${s.localActivities} local activities, ${s.historyBytes} B history; ` +
            `${s.pgStatements ?? '?'} statements (+${s.pgStatementsTimerShared ?? '?'} timer-shared), ` +
            `${s.walCommits} WAL-writing commits${Object.keys(s.varies).length ? `; varies: ${JSON.stringify(s.varies)}` : ''}`,
        );
      }
      // the carrier path leaves the shipping worker's breaker open for a few seconds: a happy order that
      // completes (Temporal retries the shipment meanwhile) shows the stack is whole again for what follows
      await ctx.load.saga(0, -1);
      const budget = readBudget();
      const happy = paths.happy!;
      ctx.results.costs = {
        method:
          'orders one at a time on the quiet stack (every outbox message delivered before and after each), each ' +
          'on a fresh customer and SKU; Temporal counts from the workflow history (events of failed or timed-out ' +
          "workflow tasks left out); Postgres statements from pg_stat_statements (top level, the bench's own " +
          'left out; `pgStatements`: statements no timer runs, `pgStatementsTimerShared`: statements that also ' +
          'run while idle, see `background`); WAL-writing commits, WAL records and bytes from pg_walinspect ' +
          'between the LSNs before and after; autovacuum off during the section; median over the orders, ' +
          '`varies` lists counts that differed between them',
        ordersPerPath: profile.costOrders,
        background: background
          ? {
              seconds: background.seconds,
              statementsPerSecond: round(background.calls / background.seconds, 1),
              statements: [...background.statements.values()].map((q) =>
                q.replace(/\s+/g, ' ').slice(0, 100),
              ),
            }
          : `unavailable: ${counters.ok ? '' : counters.why}`,
        budget: {
          file: 'bench/budget.json',
          ...budget,
          withinBudget:
            (happy.historyEvents ?? Infinity) <= budget.happyOrder.historyEvents &&
            (happy.workflowTasks ?? Infinity) <= budget.happyOrder.workflowTasks,
        },
        paths,
      };
    } finally {
      await client.query(`${MARK} ALTER SYSTEM RESET autovacuum`).catch(() => undefined);
      await client.query(`${MARK} SELECT pg_reload_conf()`).catch(() => undefined);
      client.release();
    }
  },
};
