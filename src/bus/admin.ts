/**
 * Cluster-level operations: is the cluster answering (a real Metadata request), and create the project's
 * topics idempotently. Topics are created before anything is sent: a send to a topic that does not exist
 * yet waits for it instead of failing, so a missing topic would look like a hung producer.
 */
import { Admin } from '@platformatic/kafka';
import { setTimeout as delay } from 'node:timers/promises';

export interface ClusterInfo {
  clusterId: string;
  brokers: string[];
}

/**
 * One Metadata request: resolves with the cluster's id and brokers, rejects when the cluster does not
 * answer within `timeoutMs`.
 */
export async function describeCluster(brokers: string[], timeoutMs = 2000): Promise<ClusterInfo> {
  const admin = new Admin({
    clientId: 'order-saga-probe',
    bootstrapBrokers: brokers,
    retries: 0,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  try {
    const md = await admin.metadata({ topics: [], forceUpdate: true });
    return { clusterId: md.id, brokers: [...md.brokers.values()].map((b) => `${b.host}:${b.port}`) };
  } finally {
    await admin.close();
  }
}

export interface EnsureTopicsOptions {
  brokers: string[];
  topics: readonly string[];
  partitions: number;
  /** replication factor of a created topic; default: the cluster's default.replication.factor */
  replicas?: number;
  /** give up after this long (ms); default 30 s */
  timeoutMs?: number;
}

/**
 * Creates the topics that do not exist yet (an existing topic keeps its partition count) and resolves once
 * the cluster reports every partition of every topic with a leader, so a send right after cannot hang.
 * Safe to call from several processes at once.
 */
export async function ensureTopics(opts: EnsureTopicsOptions): Promise<void> {
  const admin = new Admin({ clientId: 'order-saga-admin', bootstrapBrokers: opts.brokers });
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  try {
    const existing = new Set(await admin.listTopics());
    const missing = opts.topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          topics: missing,
          partitions: opts.partitions,
          replicas: opts.replicas ?? -1,
        });
      } catch (err) {
        // another process created them first: fine, the check below decides
        const now = new Set(await admin.listTopics());
        if (!missing.every((t) => now.has(t))) throw err;
      }
    }
    for (;;) {
      const unready = await topicsWithoutLeaders(admin, opts.topics);
      if (unready.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(
          `topics without a leader after ${opts.timeoutMs ?? 30_000} ms: ${unready.join(', ')}`,
        );
      await delay(100);
    }
  } finally {
    await admin.close();
  }
}

async function topicsWithoutLeaders(admin: Admin, topics: readonly string[]): Promise<string[]> {
  try {
    const md = await admin.metadata({ topics: [...topics], forceUpdate: true });
    return topics.filter((t) => {
      const topic = md.topics.get(t);
      return !topic || topic.partitions.length === 0 || topic.partitions.some((p) => p.leader < 0);
    });
  } catch {
    return [...topics]; // not known to the broker answering yet
  }
}
