/**
 * `npm run chaos` (full) and `npm run chaos:short`: the fault, contention and abuse suite of issue 8.
 * Starts its own stack on loopback, runs the scenarios, checks the invariants from Postgres and Temporal,
 * prints a JSON summary (also written to chaos/results/latest.json, or latest-short.json) and exits 1 if
 * any invariant broke. Children's log lines go to chaos/results/latest.log.
 * Options: --short, --seed=<n>, --orders=<n>, --contention=<n>
 */
import fs from 'node:fs';
import path from 'node:path';
import { format } from 'prettier';
import { FULL, runChaos, SHORT, type ChaosOptions } from './suite';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const short = args.includes('--short');
  const base = short ? SHORT : FULL;
  const resultsDir = path.join(__dirname, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const opts: ChaosOptions = {
    ...base,
    seed: Number(flag('seed') ?? base.seed),
    orders: Number(flag('orders') ?? base.orders),
    contentionOrders: Number(flag('contention') ?? base.contentionOrders),
    say: (m) => console.error(m),
    childLog: path.join(resultsDir, short ? 'latest-short.log' : 'latest.log'),
  };
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
  const limitMs = short ? 10 * 60_000 : 60 * 60_000;
  setTimeout(() => abort(`exceeded ${limitMs / 60_000} minutes`, 2), limitMs).unref();
  const summary = await runChaos(opts);
  const text = JSON.stringify(summary, null, 2);
  // written as prettier formats it, so `prettier --check .` stays clean with results present
  const file = await format(text, { parser: 'json' }).catch(() => text + '\n');
  fs.writeFileSync(path.join(resultsDir, short ? 'latest-short.json' : 'latest.json'), file);
  console.log(text);
  console.error(
    summary.ok
      ? '[chaos] every invariant holds'
      : `[chaos] INVARIANTS BROKEN: ${summary.failures.join('; ')}`,
  );
  process.exit(summary.ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(`[chaos] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
