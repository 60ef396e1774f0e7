/**
 * The cluster profile for the tests, started once per run in this process (launchStack with `cluster`): two
 * Temporal server nodes on the stack's embedded Postgres behind one frontend address, two workers per task
 * queue, two API instances, on a temporary DATA_DIR and free ports. The orders' cancellation window is 30 s,
 * so an order waits in PAYMENT_COMPLETED long enough to be cancelled there and to be in flight (a durable
 * timer on some history shard) when a node dies.
 */
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { isolatedStackEnv, launchStack, type Stack } from '../../src/platform/stack';
import type { TemporalCluster } from '../../src/platform/temporal-cluster';
import { ClusterApi } from './api';

export const CANCELLATION_WINDOW_MS = 30_000;

export interface ClusterStack {
  stack: Stack;
  cluster: TemporalCluster;
  api: ClusterApi;
  /** a Temporal client on the cluster's frontend address (visibility queries, histories) */
  client: Client;
  /** the last child log lines, for failure messages */
  log(): string;
  close(): Promise<void>;
}

export async function startClusterStack(): Promise<ClusterStack> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...(await isolatedStackEnv('cluster')),
    ORDER_CANCELLATION_WINDOW_MS: String(CANCELLATION_WINDOW_MS),
    LOG_LEVEL: process.env.CLUSTER_TEST_LOG_LEVEL ?? 'warn',
  };
  for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'CARRIER_URL', 'WORKER_METRICS_URLS'])
    delete env[key];
  const lines: string[] = [];
  const stack = await launchStack({
    env,
    cluster: true,
    say: (m) => process.stderr.write(`[cluster] ${m}\n`),
    onChildLine: (name, line) => {
      lines.push(`${name}| ${line}`);
      if (lines.length > 300) lines.shift();
    },
  }).catch((err: unknown) => {
    // launchStack stopped what it started; the data directory is ours to remove
    fs.rmSync(env.DATA_DIR!, { recursive: true, force: true });
    throw err;
  });
  let connection: Connection | undefined;
  const close = async () => {
    await connection?.close().catch(() => undefined);
    await stack.stop();
    fs.rmSync(stack.dataDir, { recursive: true, force: true });
  };
  try {
    if (!stack.apiUp) {
      const apps = lines.filter((l) => !l.startsWith('temporal-')).slice(-60);
      throw new Error(`the API instances did not come up:\n${apps.join('\n')}`);
    }
    if (!stack.cluster) throw new Error('launchStack({ cluster: true }) returned no cluster');
    connection = await Connection.connect({ address: stack.temporalAddress });
    const admin = (await stack.credentials()).find((c) => c.envName === 'ADMIN_TOKEN')!.token;
    return {
      stack,
      cluster: stack.cluster,
      api: new ClusterApi(stack.apiUrls, admin),
      client: new Client({ connection, namespace: stack.config.temporal.namespace }),
      log: () => lines.join('\n'),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
