/**
 * Whether a failure is the state of the database or of the network to it (an outage, a connection lost or
 * refused, a pool that could not hand out a connection, or a wait Postgres gave up: lock timeout, deadlock,
 * serialization failure) rather than of the request or message being handled. Such a failure says nothing
 * about the work: trying it again later can succeed. One list for every caller: the API answers it with 503
 * (src/api/infra-errors.ts), the bus consumer retries it without counting a try (src/bus/ordered-tries.ts).
 */

/** socket errors of a connection to the server */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);

/**
 * SQLSTATE classes and codes: 08 connection exception, 53 insufficient resources (too many connections, out
 * of memory, disk full), 57P operator intervention (shutdown, crash, cannot connect now), 58 system error;
 * 57014 statement canceled (statement_timeout), 55P03 lock not available (lock_timeout), 40P01 deadlock,
 * 40001 serialization failure.
 */
const PG_TRANSIENT = /^(08|53|57P|58)|^(57014|55P03|40P01|40001)$/;

/** what node-postgres and its pool say when there is no connection to be had */
const PG_CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|Cannot use a pool after calling end|connection timeout/i;

/** This error itself (not its causes) is the database's or the network's state. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_TRANSIENT.test(code))) return true;
  return typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message);
}
