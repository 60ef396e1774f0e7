/**
 * `npm run chaos` (full) and `npm run chaos:short`: the fault, contention and abuse suite (suite.ts).
 * Starts its own stack on loopback, runs the scenarios, checks the invariants from Postgres and Temporal,
 * prints a JSON summary (also written to chaos/results/latest[-cluster][-short].json) and exits 1 if
 * any invariant broke. Children's log lines go to chaos/results/latest[-cluster][-short].log.
 * Options: --short, --cluster (the cluster profile, scenario "cluster"), --seed=<n>, --orders=<n>,
 * --contention=<n>
 */
import fs from 'node:fs';
import { resultFiles, RESULTS_DIR, writeReport } from './report';
import { clusterOptions, FULL, runChaos, SHORT, type ChaosOptions } from './suite';

function options(args: string[]): ChaosOptions {
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const short = args.includes('--short');
  const base = args.includes('--cluster') ? clusterOptions(short ? SHORT : FULL) : short ? SHORT : FULL;
  return {
    ...base,
    seed: Number(flag('seed') ?? base.seed),
    orders: Number(flag('orders') ?? base.orders),
    contentionOrders: Number(flag('contention') ?? base.contentionOrders),
    say: (m) => console.error(m),
    childLog: resultFiles(short, base.cluster).log,
  };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const short = opts.mode === 'short';
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // stop the stack (no orphaned Postgres, Temporal or workers) on Ctrl-C, SIGTERM or the time cap
  let stopStack: (() => Promise<void>) | undefined;
  opts.onStack = (stop) => {
    stopStack = stop;
  };
  const abort = (why: string, code: number) => {
    console.error(`[chaos] ${why}; stopping the stack`);
    void (stopStack?.() ?? Promise.resolve()).catch(() => undefined).finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const limitMs = short ? 15 * 60_000 : 60 * 60_000;
  setTimeout(() => abort(`exceeded ${limitMs / 60_000} minutes`, 2), limitMs).unref();
  const summary = await runChaos(opts);
  await writeReport(summary, resultFiles(short, opts.cluster).json);
  process.exit(summary.ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(`[chaos] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
