/**
 * What one workflow run cost Temporal, counted from its history (no clock involved): events, workflow
 * tasks, activity tasks and their attempts, local activities, timers, search-attribute upserts, and the
 * history's size as protobuf bytes. And the run's shape: its steps in order, each an activity on a task
 * queue or a local activity (what the bare baseline copies).
 *
 * A workflow task that failed or timed out (a slow or restarted worker) is not part of the workflow's cost:
 * its WorkflowTaskScheduled/Started/Failed|TimedOut events are counted apart (`retriedWorkflowTaskEvents`)
 * and left out of `historyEvents`, so a loaded machine does not change the count. An activity retry adds no
 * event (only the last attempt's start is recorded); it shows in `activityAttempts`.
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

type HistoryEvent = NonNullable<History['events']>[number];

/** the marker the TypeScript SDK (core) records for a completed local activity */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface HistoryCosts {
  historyEvents: number;
  /** completed workflow tasks (each one a round trip of the worker to the server) */
  workflowTasks: number;
  /** activity tasks scheduled on a task queue */
  activityTasks: number;
  /** attempts of those activity tasks (the last attempt of each, as recorded) */
  activityAttempts: number;
  localActivities: number;
  timers: number;
  searchAttributeUpserts: number;
  /** every marker: local activities, patches, side effects */
  markers: number;
  /** the history as protobuf (temporal.api.history.v1.History), as the server stores and sends it */
  historyBytes: number;
  /** events of workflow tasks that failed or timed out, left out of historyEvents */
  retriedWorkflowTaskEvents: number;
  /** events by type (HistoryEventAttributes name without the suffix) */
  byType: Record<string, number>;
}

export interface ShapeStep {
  /** activity type */
  name: string;
  kind: 'activity' | 'local';
  /** the activity's task queue (a local activity runs on the workflow's worker: the workflow's queue) */
  taskQueue: string;
}

/** The event's type from the attributes it carries, e.g. `workflowTaskCompletedEventAttributes` → `WorkflowTaskCompleted`. */
export function eventTypeOf(e: HistoryEvent): string {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof HistoryEvent]);
  if (!key) return 'Unknown';
  const name = key.slice(0, -'EventAttributes'.length);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** ids of the Scheduled/Started events of workflow tasks that failed or timed out, and those events' ids */
function retriedWorkflowTaskEventIds(events: HistoryEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) {
    const a = e.workflowTaskFailedEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
    if (!a) continue;
    ids.add(String(e.eventId));
    if (a.scheduledEventId) ids.add(String(a.scheduledEventId));
    if (a.startedEventId && String(a.startedEventId) !== '0') ids.add(String(a.startedEventId));
  }
  return ids;
}

export function historyBytes(history: History): number {
  const type = temporal.api.history.v1.History;
  return type.encode(type.fromObject(history)).finish().length;
}

function markerName(e: HistoryEvent): string | undefined {
  return e.markerRecordedEventAttributes?.markerName ?? undefined;
}

export function historyCosts(history: History): HistoryCosts {
  const events = history.events ?? [];
  const retried = retriedWorkflowTaskEventIds(events);
  const byType: Record<string, number> = {};
  for (const e of events) {
    if (retried.has(String(e.eventId))) continue;
    const t = eventTypeOf(e);
    byType[t] = (byType[t] ?? 0) + 1;
  }
  const n = (t: string) => byType[t] ?? 0;
  return {
    historyEvents: events.length - retried.size,
    workflowTasks: n('WorkflowTaskCompleted'),
    activityTasks: n('ActivityTaskScheduled'),
    activityAttempts: events.reduce((s, e) => s + (e.activityTaskStartedEventAttributes?.attempt ?? 0), 0),
    localActivities: events.filter((e) => markerName(e) === LOCAL_ACTIVITY_MARKER).length,
    timers: n('TimerStarted'),
    searchAttributeUpserts: n('UpsertWorkflowSearchAttributes'),
    markers: n('MarkerRecorded'),
    historyBytes: historyBytes(history),
    retriedWorkflowTaskEvents: retried.size,
    byType,
  };
}

/** The activity type a local-activity marker recorded (its `data` detail is JSON with `activity_type`). */
function localActivityName(e: HistoryEvent): string {
  const payload = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  if (!payload) return 'local';
  try {
    const data = JSON.parse(Buffer.from(payload).toString('utf8')) as { activity_type?: string };
    return data.activity_type ?? 'local';
  } catch {
    return 'local';
  }
}

/** The run's steps in the order the history records them: scheduled activities and local-activity markers. */
export function shapeOf(history: History): ShapeStep[] {
  const events = history.events ?? [];
  const workflowQueue = events[0]?.workflowExecutionStartedEventAttributes?.taskQueue?.name ?? 'unknown';
  const steps: ShapeStep[] = [];
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      steps.push({
        name: a.activityType?.name ?? '?',
        kind: 'activity',
        taskQueue: a.taskQueue?.name ?? '?',
      });
    } else if (markerName(e) === LOCAL_ACTIVITY_MARKER) {
      steps.push({ name: localActivityName(e), kind: 'local', taskQueue: workflowQueue });
    }
  }
  return steps;
}
