/**
 * The one place where what an activity throws becomes a Temporal failure: domain refusals and carrier
 * refusals are non-retryable and typed, an unavailable carrier is retryable, anything else is rethrown as it
 * is (infrastructure errors stay retryable). Registered as an activity inbound interceptor by every worker.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { BrokenCircuitError, CarrierFailed, CarrierRejected } from '../carrier/client';
import { isDomainError } from '../domain/errors';

export function toActivityFailure(err: unknown): unknown {
  if (isDomainError(err)) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.code,
      nonRetryable: true,
      details: [err.details],
      cause: err,
    });
  }
  if (err instanceof BrokenCircuitError) {
    return ApplicationFailure.retryable('carrier circuit breaker is open; retry later', 'CarrierUnavailable');
  }
  if (err instanceof CarrierFailed) return ApplicationFailure.retryable(err.message, 'CarrierUnavailable');
  if (err instanceof CarrierRejected) return ApplicationFailure.nonRetryable(err.message, 'CarrierRejected');
  return err;
}

/** The workers' activity interceptors: every activity's error goes through toActivityFailure. */
export const activityInterceptors: ActivityInterceptorsFactory[] = [
  () => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          throw toActivityFailure(err);
        }
      },
    },
  }),
];
