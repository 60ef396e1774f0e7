/**
 * What stopped the saga's forward path, as the typed failure its result, query and metrics report. Kept apart
 * from the workflow so the rules can be unit-tested without the sandbox (no workflow context is used).
 */
import { ActivityFailure, ApplicationFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from './activity-proxies';
import type { CancelOrderRequest, SagaFailure } from './contracts';

/** Thrown by the step helper when a cancellation was accepted before the next step. */
export class CancelRequested extends Error {}

/**
 * Whether `err` is how a step's call failed: an activity's failure comes as an ActivityFailure around what
 * the activity raised; a local activity's comes unwrapped (the ApplicationFailure it raised, or the timeout).
 */
export const isStepFailure = (err: unknown): err is ActivityFailure | ApplicationFailure | TimeoutFailure =>
  err instanceof ActivityFailure || err instanceof ApplicationFailure || err instanceof TimeoutFailure;

/** Maps what stopped the forward path to a typed failure; anything unexpected is a bug and is rethrown. */
export function classify(step: string, err: unknown, cancel: CancelOrderRequest | undefined): SagaFailure {
  if (err instanceof CancelRequested || (cancel && isCancellation(err))) {
    return { step, type: 'Cancelled', message: cancel?.reason ?? 'cancelled' };
  }
  if (isCancellation(err)) return { step, type: 'Cancelled', message: 'workflow cancelled' };
  if (isStepFailure(err)) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && cause.type && NON_RETRYABLE_TYPES.includes(cause.type)) {
      return { step, type: cause.type, message: cause.message };
    }
    if (step === 'createShipment') {
      return { step, type: 'CarrierUnavailable', message: `carrier unavailable: ${errorMessage(err)}` };
    }
    return { step, type: 'RetriesExhausted', message: errorMessage(err) };
  }
  throw err;
}

/** The innermost message of an activity failure (the cause the activity threw). */
export function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return errorMessage(err.cause);
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The innermost failure type (ApplicationFailure type, else the error's name), for metrics labels. */
export function errorType(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return errorType(err.cause);
  if (err instanceof ApplicationFailure && err.type) return err.type;
  return err instanceof Error ? err.name : 'Unknown';
}
