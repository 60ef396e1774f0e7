/**
 * The bare baseline: a workflow that runs a list of no-op steps one after the other, each an activity on a
 * task queue or a local activity, with the saga's forward-step options. The bench passes it the saga's own
 * shape, read from a real saga's history (bench/sections/saga-shape.ts), so the baseline has the same mix
 * of activities (on the same queues, in the same order) and local activities as the saga, whatever the
 * saga's code does; `bare(n)` cycles through that list.
 */
import { proxyActivities, proxyLocalActivities, type LocalActivityOptions } from '@temporalio/workflow';
import type { NoopActivities } from '../activities';

export interface BareStep {
  /** a local activity (on the workflow's worker) instead of an activity task on `taskQueue` */
  local: boolean;
  taskQueue: string;
}

export interface BareInput {
  steps: BareStep[];
}

/** the saga's forward-step options (src/workflows/activity-proxies.ts: attempt timeout, budget, retries) */
const FORWARD = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: 500, backoffCoefficient: 2, maximumInterval: 30_000, maximumAttempts: 15 },
} satisfies LocalActivityOptions;

export async function bareWorkflow(input: BareInput): Promise<number> {
  const local = proxyLocalActivities<NoopActivities>(FORWARD);
  const onQueue = new Map<string, NoopActivities>();
  for (const step of input.steps) {
    if (step.local) {
      await local.noop();
      continue;
    }
    let proxy = onQueue.get(step.taskQueue);
    if (!proxy) {
      proxy = proxyActivities<NoopActivities>({ ...FORWARD, taskQueue: step.taskQueue });
      onQueue.set(step.taskQueue, proxy);
    }
    await proxy.noop();
  }
  return input.steps.length;
}
