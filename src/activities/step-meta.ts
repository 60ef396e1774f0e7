/** What every saga step receives besides its command, and the event metadata it becomes. */
import { Context } from '@temporalio/activity';
import type { EventMetadata } from '../eventstore/types';

/** The step's idempotency key (`<workflowId>/<step>`) and the gateway's request id. */
export interface Step {
  key: string;
  requestId?: string;
}

/** The metadata of the events a step writes: its key, the order, the request and (in an activity) the Temporal ids. */
export function stepMeta(key: string, orderId: string, requestId?: string): EventMetadata {
  const meta: EventMetadata = { idempotencyKey: key, correlationId: orderId };
  if (requestId) meta.requestId = requestId;
  const info = activityInfo();
  if (info) {
    meta.activityId = info.activityId;
    meta.activityType = info.activityType;
    const wf = info.workflowExecution;
    if (wf) {
      meta.workflowId = wf.workflowId;
      meta.workflowRunId = wf.runId;
      meta.causationId = `${wf.workflowId}/${info.activityId}`;
    }
  }
  return meta;
}

function activityInfo(): Context['info'] | undefined {
  try {
    return Context.current().info;
  } catch {
    return undefined; // not inside an activity
  }
}

/** The steps answer nothing (their outcome is in the event store); this drops a service's result. */
export const nothing = (): void => undefined;
