import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { HISTORIES_DIR, historyFromJson } from '../../test/replay/histories';
import { historyBytes, historyCosts, LOCAL_ACTIVITY_MARKER, shapeOf } from './history-costs';

const json = (x: unknown) => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(x)),
});

/** A made-up history: a workflow task that timed out and was retried, one activity, one local activity. */
function syntheticHistory(): History {
  let id = 0;
  const ev = (attrs: Record<string, unknown>) => ({ eventId: ++id, ...attrs });
  return temporal.api.history.v1.History.fromObject({
    events: [
      ev({ workflowExecutionStartedEventAttributes: { taskQueue: { name: 'orders' } } }),
      ev({ workflowTaskScheduledEventAttributes: {} }),
      ev({ workflowTaskStartedEventAttributes: { scheduledEventId: 2 } }),
      ev({ workflowTaskTimedOutEventAttributes: { scheduledEventId: 2, startedEventId: 3 } }),
      ev({ workflowTaskScheduledEventAttributes: {} }),
      ev({ workflowTaskStartedEventAttributes: { scheduledEventId: 5 } }),
      ev({ workflowTaskCompletedEventAttributes: { scheduledEventId: 5, startedEventId: 6 } }),
      ev({
        markerRecordedEventAttributes: {
          markerName: LOCAL_ACTIVITY_MARKER,
          details: { data: { payloads: [json({ seq: 1, activity_type: 'placeOrder' })] } },
        },
      }),
      ev({
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'reserveStock' },
          taskQueue: { name: 'inventory' },
        },
      }),
      ev({ activityTaskStartedEventAttributes: { scheduledEventId: 9, attempt: 3 } }),
      ev({ activityTaskCompletedEventAttributes: { scheduledEventId: 9 } }),
      ev({ workflowTaskScheduledEventAttributes: {} }),
      ev({ workflowTaskStartedEventAttributes: { scheduledEventId: 12 } }),
      ev({ workflowTaskCompletedEventAttributes: { scheduledEventId: 12, startedEventId: 13 } }),
      ev({ workflowExecutionCompletedEventAttributes: {} }),
    ],
  });
}

describe('history costs', () => {
  it('counts workflow tasks, activity tasks and attempts, local activities; a retried workflow task is left out', () => {
    const h = syntheticHistory();
    const c = historyCosts(h);
    assert.equal(c.historyEvents, 15 - 3, 'the timed-out task (scheduled, started, timed out) is left out');
    assert.equal(c.retriedWorkflowTaskEvents, 3);
    assert.equal(c.workflowTasks, 2);
    assert.equal(c.activityTasks, 1);
    assert.equal(c.activityAttempts, 3);
    assert.equal(c.localActivities, 1);
    assert.equal(c.markers, 1);
    assert.equal(c.byType.WorkflowTaskScheduled, 2);
    assert.equal(c.byType.WorkflowTaskTimedOut, undefined);
    assert.equal(c.historyBytes, temporal.api.history.v1.History.encode(h).finish().length);
    assert.deepEqual(shapeOf(h), [
      { name: 'placeOrder', kind: 'local', taskQueue: 'orders' },
      { name: 'reserveStock', kind: 'activity', taskQueue: 'inventory' },
    ]);
  });

  it('agrees with the event types written in every committed saga history', () => {
    const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    let checked = 0;
    for (const f of files) {
      const raw = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as {
        events?: { eventType: string }[];
      };
      if (!raw.events) continue; // the manifest
      const count = (t: string) => raw.events!.filter((e) => e.eventType === `EVENT_TYPE_${t}`).length;
      const h = historyFromJson(raw);
      const c = historyCosts(h);
      const retried = count('WORKFLOW_TASK_FAILED') + count('WORKFLOW_TASK_TIMED_OUT');
      assert.equal(c.retriedWorkflowTaskEvents > 0, retried > 0, f);
      if (retried === 0) assert.equal(c.historyEvents, raw.events.length, f);
      assert.equal(c.workflowTasks, count('WORKFLOW_TASK_COMPLETED'), f);
      assert.equal(c.activityTasks, count('ACTIVITY_TASK_SCHEDULED'), f);
      assert.equal(c.timers, count('TIMER_STARTED'), f);
      assert.equal(c.searchAttributeUpserts, count('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'), f);
      assert.equal(c.markers, count('MARKER_RECORDED'), f);
      assert.equal(shapeOf(h).length, c.activityTasks + c.localActivities, f);
      assert.ok(c.historyBytes > 1000 && c.historyBytes === historyBytes(h), f);
      checked++;
    }
    assert.ok(checked >= 5, `only ${checked} histories checked`);
  });
});
