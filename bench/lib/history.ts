/**
 * Where a kind's time goes, from its workflow histories: per activity type, over a sample of completed
 * workflows (and the slowest one on its own), schedule→start (time in the task queue: matching, poller and
 * slot availability), start→close (the activity itself) and retried attempts; plus the time spent outside
 * activities (workflow tasks, start).
 */
import type { Client } from '@temporalio/client';
import type { Breakdown } from '../report/result';
import { round, summarize } from './stats';
import type { Timed } from './workloads';

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

interface Step {
  activity: string;
  waitMs: number;
  runMs: number;
  attempt: number;
}

const tsMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0;

/** The completed activities of one history, with their queue wait and run time (unrounded). */
function activitySteps(events: HistoryEvent[]): Step[] {
  const scheduled = new Map<string, { type: string; at: number }>();
  const started = new Map<string, { at: number; attempt: number }>();
  const steps: Step[] = [];
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(String(e.eventId), {
        type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
        at: tsMs(e.eventTime),
      });
    } else if (e.activityTaskStartedEventAttributes) {
      started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), {
        at: tsMs(e.eventTime),
        attempt: e.activityTaskStartedEventAttributes.attempt ?? 1,
      });
    } else if (e.activityTaskCompletedEventAttributes) {
      const sid = String(e.activityTaskCompletedEventAttributes.scheduledEventId);
      const s = scheduled.get(sid);
      const st = started.get(sid);
      if (!s || !st) continue;
      steps.push({
        activity: s.type,
        waitMs: st.at - s.at,
        runMs: tsMs(e.eventTime) - st.at,
        attempt: st.attempt,
      });
    }
  }
  return steps;
}

export async function historyBreakdown(client: Client, times: Timed[]): Promise<Breakdown> {
  if (times.length === 0) return { sampled: 0 };
  const byMs = [...times].sort((a, b) => b.ms - a.ms);
  const step = Math.max(1, Math.floor(times.length / 20));
  const sample = [...new Set([byMs[0]!, ...times.filter((_, i) => i % step === 0).slice(0, 20)])];
  const per = new Map<string, { wait: number[]; run: number[]; retries: number }>();
  const outside: number[] = [];
  let slowest: Record<string, unknown> | undefined;
  for (const t of sample) {
    const events = (await client.workflow.getHandle(t.workflowId).fetchHistory()).events ?? [];
    const steps = activitySteps(events);
    for (const s of steps) {
      const entry = per.get(s.activity) ?? { wait: [], run: [], retries: 0 };
      entry.wait.push(s.waitMs);
      entry.run.push(s.runMs);
      if (s.attempt > 1) entry.retries++;
      per.set(s.activity, entry);
    }
    const span = tsMs(events.at(-1)?.eventTime) - tsMs(events[0]?.eventTime);
    outside.push(span - steps.reduce((a, s) => a + s.waitMs + s.runMs, 0));
    if (t === byMs[0]) {
      slowest = {
        workflowId: t.workflowId,
        clientMs: round(t.ms, 1),
        historyMs: round(span, 1),
        steps: steps.map((s) => ({ ...s, waitMs: round(s.waitMs, 1), runMs: round(s.runMs, 1) })),
      };
    }
  }
  return {
    sampled: sample.length,
    method:
      'workflow histories: ActivityTaskScheduled → Started (queue wait) → Completed (run); "outside" = history span minus activity spans (workflow tasks between steps)',
    perActivity: Object.fromEntries(
      [...per.entries()].map(([k, v]) => [
        k,
        {
          queueWaitP50Ms: summarize(v.wait).p50Ms,
          runP50Ms: summarize(v.run).p50Ms,
          runP90Ms: summarize(v.run).p90Ms,
          retried: v.retries,
        },
      ]),
    ),
    outsideActivitiesP50Ms: summarize(outside).p50Ms,
    slowest,
  };
}
