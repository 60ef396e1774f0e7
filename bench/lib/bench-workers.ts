/**
 * The bench-only worker processes (bench/worker.ts: one per task queue, production worker options, no-op
 * activities) in the namespace `bench` of the stack's dev server, where the bare workflow and the stubbed
 * saga run.
 */
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import { freePort } from '../../src/platform/postgres';
import { SERVICES, type Stack } from '../../src/platform/stack';
import { CustomerIdKey, OrderStatusKey } from '../../src/workflows/search-attributes';

export const BENCH_NAMESPACE = 'bench';

export interface BenchWorkers {
  /** stops them (a second call does nothing) */
  stop(): Promise<void>;
}

/** Starts the four bench-only worker processes in the bench namespace; resolves when all poll. */
export async function startBenchWorkers(stack: Stack, env: Record<string, string>): Promise<BenchWorkers> {
  const names = SERVICES.map((s) => `bench-${s}`);
  const ready = new Set<string>();
  const lines: string[] = [];
  const onLine = (name: string, line: string) => {
    if (!names.includes(name)) return;
    lines.push(`${name}: ${line}`);
    if (line.includes('bench-worker ready')) ready.add(name);
  };
  stack.supervisor.on('line', onLine);
  for (const service of SERVICES) {
    stack.supervisor.start({
      name: `bench-${service}`,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(__dirname, '..', 'worker.ts'), service],
      env: {
        ...env,
        TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
        BENCH_CORE_METRICS_PORT: String(await freePort()),
      },
      restart: false,
    });
  }
  // the orders worker bundles the workflows first: over 120 s on a 2-core host at load 30-40
  const readySeconds = 300;
  const deadline = Date.now() + readySeconds * 1000;
  while (ready.size < names.length) {
    if (Date.now() > deadline) {
      throw new Error(`bench workers not ready after ${readySeconds} s:\n${lines.slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  let stopped = false;
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      stack.supervisor.off('line', onLine);
      for (const n of names) await stack.supervisor.stop(n);
    },
  };
}

/** The saga's search attributes in the bench namespace (the stubbed saga sets them as the real one does). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = [CustomerIdKey.name, OrderStatusKey.name].filter(
    (n) => !(n in (existing.customAttributes ?? {})),
  );
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((n) => [n, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
  });
  // the dev server's search attribute cache refreshes asynchronously
  await new Promise((r) => setTimeout(r, 1500));
}
