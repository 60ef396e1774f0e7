/**
 * The chaos suite: one context (lib/stack.ts: its own stack on free loopback ports and a temporary
 * DATA_DIR, a catalog and customers set up through the API), then the scenarios below in the order listed,
 * each in its own file under scenarios/ (`{ name, enabled(opts), run(ctx) }`) and each checking every
 * invariant when it is done (`ctx.check`); a final check; the summary (report/). Bounded in time and count;
 * stops the stack by itself. Scenarios, invariants and how to add one: chaos/README.md.
 */
import { openChaos } from './lib/stack';
import type { ChaosOptions } from './lib/options';
import { outcomesOf, summarize, type ChaosSummary } from './report';
import { carrierScenario } from './scenarios/carrier';
import { clusterScenario } from './scenarios/cluster';
import { contentionScenario } from './scenarios/contention';
import type { Scenario, ScenarioContext } from './scenarios/context';
import { faultsScenario } from './scenarios/faults';
import { hostileScenario } from './scenarios/hostile';
import { idempotencyScenario } from './scenarios/idempotency';
import { partitionScenario } from './scenarios/partition';

export { clusterOptions, FULL, SHORT, type ChaosOptions } from './lib/options';
export type { ChaosSummary } from './report';

/** The scenarios, in the order a run plays them. */
export const SCENARIOS: Scenario[] = [
  faultsScenario, // the order mix while workers, Temporal and Postgres are killed; checks phase "faults"
  clusterScenario, // --cluster: the order mix while a node, a worker of each pair and an API die; "cluster"
  carrierScenario, // the carrier down until the breaker opens, back until it closes; phase "carrier"
  contentionScenario, // per saga mode, single-unit orders for the last units of a SKU; "contention-<mode>"
  partitionScenario, // 3PC orders while payments is cut off after pre-commit; phase "partition"
  idempotencyScenario, // concurrent POST /orders under one Idempotency-Key
  hostileScenario, // the hostile battery once the system is quiet; nothing may be written
];

/** Runs one scenario, naming it in the error when it fails. */
async function runScenario(scenario: Scenario, ctx: ScenarioContext): Promise<void> {
  try {
    await scenario.run(ctx);
  } catch (err) {
    throw new Error(`scenario ${scenario.name}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const started = Date.now();
  const say = (msg: string) =>
    opts.say(`[chaos ${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${msg}`);
  const ctx = await openChaos(opts, say);
  try {
    for (const scenario of SCENARIOS) if (scenario.enabled(opts)) await runScenario(scenario, ctx);
    say('final: checking every invariant');
    const final = await ctx.check('final', Date.now());
    ctx.rec.problems.push(...ctx.orders.refused);
    return summarize({
      opts,
      rec: ctx.rec,
      orders: ctx.orders,
      final,
      outcomes: await outcomesOf(ctx.pool),
      restartsByProcess: ctx.restartsByProcess,
      started,
    });
  } finally {
    await ctx.close();
  }
}
