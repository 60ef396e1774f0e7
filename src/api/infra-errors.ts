/**
 * Tells an outage of Postgres or Temporal (answer 503 + Retry-After, the client may retry) from a bug
 * (answer 500). Kept conservative: only connection-level failures count as outages (Postgres's and the
 * network's: src/db/errors.ts), looked for in the error, its `cause` chain and an AggregateError's errors.
 */
import { isGrpcServiceError } from '@temporalio/client';
import { isDatabaseUnavailable } from '../db/errors';

// gRPC: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED, ABORTED
const GRPC_OUTAGE = new Set([14, 4, 8, 1, 10]);

export function isInfrastructureError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
  if (isDatabaseUnavailable(err)) return true;
  if (isGrpcServiceError(err) && GRPC_OUTAGE.has(err.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/deadline exceeded|Failed to connect/i.test(message)) {
    return true;
  }
  if (e.name === 'AggregateError' && Array.isArray((err as AggregateError).errors)) {
    return (err as AggregateError).errors.some((x) => isInfrastructureError(x, depth + 1));
  }
  return isInfrastructureError(e.cause, depth + 1);
}
