/**
 * A second stack beside the bench's own, on the same machine in the same run (its own DATA_DIR, ports,
 * Postgres, Temporal and workers), seeded like the first, with a saga workload of its own: the cluster
 * profile (sections/cluster.ts) and the stack without the bus (sections/without-bus.ts) run on one.
 * `stop()` stops it and removes its data (once; the bench's close calls it too).
 */
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { isolatedStackEnv, launchStack, type Stack } from '../../src/platform/stack';
import type { BenchContext } from './context';
import { seedBenchData } from './seed';
import { createWorkloads, type Workloads } from './workloads';

export interface SideStack {
  stack: Stack;
  load: Workloads;
  stop(): Promise<void>;
}

export async function startSideStack(
  ctx: BenchContext,
  opts: { name: string; env: Record<string, string>; cluster?: boolean },
): Promise<SideStack> {
  const own = await isolatedStackEnv(`bench-${opts.name}`);
  const dataDir = own.DATA_DIR!;
  ctx.say(`starting ${opts.name} (DATA_DIR ${dataDir}; ${JSON.stringify(opts.env)})`);
  const stack = await launchStack({
    env: { ...process.env, ...own, ...opts.env },
    cluster: opts.cluster ?? false,
    say: (m) => ctx.say(`  ${opts.name}: ${m}`),
  }).catch((err: unknown) => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const closers: (() => Promise<void>)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const close of closers) await close().catch(() => undefined);
    await stack.stop();
    fs.rmSync(stack.dataDir, { recursive: true, force: true });
  };
  ctx.onClose(stop);
  if (!stack.apiUp) throw new Error(`${opts.name}: the API did not come up`);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  closers.push(() => connection.close());
  const client = new Client({ connection, namespace: stack.config.temporal.namespace });
  const adminToken = (await stack.credentials()).find((c) => c.envName === 'ADMIN_TOKEN')!.token;
  await seedBenchData(stack, adminToken);
  return { stack, load: createWorkloads({ stack, adminToken, client, benchClient: client }), stop };
}
