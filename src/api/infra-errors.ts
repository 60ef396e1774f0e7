/**
 * Tells an outage of Postgres or Temporal (answer 503 + Retry-After, the client may retry) from a bug
 * (answer 500). Kept conservative: only connection-level failures count as outages.
 */
import { isGrpcServiceError } from '@temporalio/client';

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);
// SQLSTATE: connection exceptions, admin shutdown/crash/cannot connect now, too many connections,
// statement/lock timeout, serialization failure (retryable by the client).
const PG_OUTAGE = /^(08...|57P0[1-4]|53300|57014|55P03|40001|40P01)$/;
// gRPC: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED, ABORTED
const GRPC_OUTAGE = new Set([14, 4, 8, 1, 10]);

export function isInfrastructureError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
  if (typeof e.code === 'string' && (NET_CODES.has(e.code) || PG_OUTAGE.test(e.code))) return true;
  if (isGrpcServiceError(err) && GRPC_OUTAGE.has(err.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|Cannot use a pool after calling end|deadline exceeded|Failed to connect/i.test(
      message,
    )
  ) {
    return true;
  }
  if (e.name === 'AggregateError' && Array.isArray((err as AggregateError).errors)) {
    return (err as AggregateError).errors.some((x) => isInfrastructureError(x, depth + 1));
  }
  return isInfrastructureError(e.cause, depth + 1);
}
