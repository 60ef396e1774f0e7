/**
 * What stopped the saga's forward path, as the typed failure its result, query and metrics report. Kept apart
 * from the workflow so the rules can be unit-tested without the sandbox (no workflow context is used).
 */
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from './activity-proxies';
import type { CancelOrderRequest, SagaFailure } from './contracts';

/** Thrown by the step helper when a cancellation was accepted before the next step. */
export class CancelRequested extends Error {}

/** Maps what stopped the forward path to a typed failure; anything unexpected is a bug and is rethrown. */
export function classify(step: string, err: unknown, cancel: CancelOrderRequest | undefined): SagaFailure {
  if (err instanceof CancelRequested || (cancel && isCancellation(err))) {
    return { step, type: 'Cancelled', message: cancel?.reason ?? 'cancelled' };
  }
  if (isCancellation(err)) return { step, type: 'Cancelled', message: 'workflow cancelled' };
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
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
