/**
 * Helpers shared by every activity: event metadata from the Temporal activity context, and the mapping of
 * domain refusals to non-retryable ApplicationFailures (infrastructure errors stay retryable).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isDomainError } from '../domain/errors';
import type { EventMetadata } from '../eventstore/types';

/** Metadata for events written by the current activity: workflow/activity ids and the step's key. */
export function activityMetadata(
  key: string,
  extra: { orderId?: string; requestId?: string } = {},
): EventMetadata {
  const meta: EventMetadata = { idempotencyKey: key };
  if (extra.orderId) meta.correlationId = extra.orderId;
  if (extra.requestId) meta.requestId = extra.requestId;
  let info: Context['info'] | undefined;
  try {
    info = Context.current().info;
  } catch {
    info = undefined; // called outside an activity (unit tests): no Temporal ids
  }
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

/** Business refusals become non-retryable, typed ApplicationFailures; everything else is rethrown. */
export function mapDomainError(err: unknown): never {
  if (isDomainError(err)) {
    throw ApplicationFailure.create({
      message: err.message,
      type: err.code,
      nonRetryable: true,
      details: [err.details],
      cause: err,
    });
  }
  throw err;
}

/** Runs fn and maps domain errors. */
export async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    mapDomainError(err);
  }
}
