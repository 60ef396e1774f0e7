/**
 * `npm run bench` (and `npm run bench:short`, a tiny run of every part): the saga against same-run baselines.
 *
 * The sections below run in the order listed, each in its own file under bench/sections (`{ name, run(ctx) }`).
 * Those before the stack get the setup (settings, output directory, results); then one context is built
 * (bench/lib/stack.ts: the stack on a temp DATA_DIR and free ports, the bench namespace and its workers,
 * clients, admin token, seed data) and the others run on it. The report (bench/report) writes latest.json,
 * latest.svg and the table. `--cluster` runs the saga on the cluster profile beside the dev server instead
 * (sections/cluster.ts, latest-cluster.json). Method, knobs and how to add a section: bench/README.md.
 *
 * Env: BENCH_OUT_DIR, BENCH_CONCURRENCY, BENCH_SECONDS, BENCH_ROUNDS, BENCH_TEMPORAL_ARGS, BENCH_PG_SETTINGS, BENCH_VERBOSE,
 * BENCH_LOG_LEVEL (bench/lib/config.ts), and every WORKER_* / PG_POOL_MAX / RELAY_* variable of src/config.ts
 * (the stack's processes inherit them).
 */
import fs from 'node:fs';
import { benchSetup, runSection, type BenchSetup, type Section } from './lib/context';
import { openBench } from './lib/stack';
import { writeClusterReport, writeReport } from './report';
import { atomic } from './sections/atomic';
import { breakdown } from './sections/breakdown';
import { bus } from './sections/bus';
import { closedLoop } from './sections/closed-loop';
import { cluster } from './sections/cluster';
import { costGrowth } from './sections/cost-growth';
import { costs } from './sections/costs';
import { environment } from './sections/environment';
import { eventStore } from './sections/event-store';
import { modes } from './sections/modes';
import { openLoop } from './sections/open-loop';
import { projectionLag } from './sections/projection-lag';
import { ratios } from './sections/ratios';
import { sagaShape } from './sections/saga-shape';
import { warmUp } from './sections/warm-up';
import { withoutBus } from './sections/without-bus';
import { workersPerQueue } from './sections/workers-per-queue';

/** Before the stack starts (on their own resources, or in the background alongside the start-up). */
const BEFORE_STACK: Section<BenchSetup>[] = [eventStore];

/** On the running stack, in this order. */
const SECTIONS: Section[] = [
  sagaShape, // the first order; the bare baseline copies its steps
  warmUp,
  costs, // per order and path, counted one at a time on the quiet stack
  closedLoop, // saga, bare, stubbed in interleaved rounds; cpuPerOrder; saga.postgresPerOrder
  projectionLag, // of the closed loop's orders
  breakdown, // of the closed loop's workflows
  openLoop,
  costGrowth,
  { name: 'stopBenchWorkers', run: (ctx) => ctx.benchWorkers.stop() }, // the rest measures production workers
  bus, // the bus under the saga load, against a bare producer → consumer
  withoutBus, // the saga on a second stack with BUS_ENABLED=false, interleaved with this one
  modes, // orchestration vs choreography
  atomic, // the saga vs 2pc and 3pc, spread and hot SKUs
  workersPerQueue, // leaves its extra worker processes running: after every section that measures the stack
  environment, // versions, settings
  ratios, // after the background work (the event store in short mode)
];

/**
 * `--cluster`: the saga on the cluster profile beside the dev server's stack, interleaved, at 1, 2 and 4
 * worker processes per queue (latest-cluster.json); the dev server's other sections are `npm run bench`.
 */
const CLUSTER_SECTIONS: Section[] = [warmUp, cluster, environment];

async function main(): Promise<void> {
  const setup = benchSetup(process.argv, process.env);
  const onCluster = process.argv.includes('--cluster');
  fs.mkdirSync(setup.outDir, { recursive: true });
  setup.say(`mode ${setup.mode}: ${JSON.stringify(setup.profile)}`);
  setup.say(`output directory ${setup.outDir}${setup.knobs.outDirFromEnv ? ' (BENCH_OUT_DIR)' : ''}`);
  if (!onCluster) for (const section of BEFORE_STACK) await runSection(section, setup);
  const ctx = await openBench(setup);
  try {
    for (const section of onCluster ? CLUSTER_SECTIONS : SECTIONS) await runSection(section, ctx);
    await ctx.settle();
    if (onCluster) writeClusterReport(ctx);
    else writeReport(ctx);
  } finally {
    await ctx.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('[bench] failed:', err);
    process.exit(1);
  },
);
