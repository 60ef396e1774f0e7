/**
 * The saga's shape, read from a real saga's history: the first order of the run (POST /orders, a happy
 * order), its steps in order, each an activity on a task queue or a local activity
 * (bench/lib/history-costs.ts). The bare baseline runs exactly these steps as no-ops, so when the saga moves
 * a step to a local activity, or adds or drops one, the baseline follows without an edit here.
 */
import type { Section } from '../lib/context';
import { shapeOf } from '../lib/history-costs';

export const sagaShape: Section = {
  name: 'sagaShape',
  async run(ctx) {
    ctx.say('saga shape: the first order (through the gateway), read from its history');
    await ctx.load.saga(0, -1);
    const first = ctx.load.recorded.saga.at(-1)!;
    const steps = shapeOf(await ctx.client.workflow.getHandle(first.workflowId).fetchHistory());
    if (steps.length === 0) throw new Error(`no steps in the history of ${first.workflowId}`);
    const local = steps.filter((s) => s.kind === 'local').length;
    ctx.say(
      `  ${steps.length} steps (${local} local): ${steps.map((s) => `${s.name}@${s.kind === 'local' ? 'local' : s.taskQueue}`).join(', ')}`,
    );
    ctx.results.sagaShape = {
      method:
        "the happy saga's steps in history order: ActivityTaskScheduled (type, task queue) and local-activity markers",
      activities: steps.length - local,
      localActivities: local,
      steps,
    };
  },
};
