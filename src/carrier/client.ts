/**
 * HTTP client of the shipping carrier, wrapped in a cockatiel circuit breaker and a timeout. One breaker per
 * dependency per process: create one `CarrierClient` per process and share it between activity calls.
 * While the breaker is open, calls fail fast with BrokenCircuitError (the activity turns it into a
 * retryable `CarrierUnavailable` ApplicationFailure, so Temporal retries later with backoff).
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  timeout,
  wrap,
} from 'cockatiel';
import type { Destination } from '../domain/order/shape';

export interface BookingRequest extends Destination {
  /** idempotency key: the same key always returns the same booking */
  key: string;
  orderId: string;
  parcels: number;
}
export interface Booking {
  trackingNumber: string;
  carrier: string;
  createdAt: string;
}

/** The carrier answered 4xx: a refusal that retrying will not change. */
export class CarrierRejected extends Error {
  override name = 'CarrierRejected';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
/** The carrier failed (5xx, network, timeout): worth retrying later. */
export class CarrierFailed extends Error {
  override name = 'CarrierFailed';
}
export { BrokenCircuitError };

export type BreakerStateName = 'closed' | 'open' | 'halfOpen' | 'isolated';
const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'halfOpen',
  [CircuitState.Isolated]: 'isolated',
};

export interface CarrierClientOptions {
  url: string;
  timeoutMs: number;
  /** consecutive failures that open the breaker (default 5) */
  failureThreshold?: number;
  /** how long the breaker stays open before a trial call (default 5000 ms) */
  halfOpenAfterMs?: number;
  onStateChange?: (state: BreakerStateName) => void;
}

export function createCarrierClient(opts: CarrierClientOptions) {
  // Only carrier/network failures count against the breaker; a 4xx refusal is the caller's problem.
  const breaker = circuitBreaker(
    handleWhen((err) => !(err instanceof CarrierRejected)),
    {
      halfOpenAfter: opts.halfOpenAfterMs ?? 5000,
      breaker: new ConsecutiveBreaker(opts.failureThreshold ?? 5),
    },
  );
  breaker.onStateChange((s) => opts.onStateChange?.(STATE_NAMES[s]));
  const policy = wrap(breaker, timeout(opts.timeoutMs, TimeoutStrategy.Aggressive));
  const base = opts.url.replace(/\/$/, '');

  async function book(req: BookingRequest): Promise<Booking> {
    try {
      return await policy.execute(async ({ signal }) => {
        let res: Response;
        try {
          res = await fetch(`${base}/bookings`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': req.key },
            body: JSON.stringify(req),
            signal,
          });
        } catch (err) {
          throw new CarrierFailed(`carrier unreachable: ${(err as Error).message}`);
        }
        const text = await res.text();
        if (res.status >= 500)
          throw new CarrierFailed(`carrier answered ${res.status}: ${text.slice(0, 200)}`);
        if (!res.ok)
          throw new CarrierRejected(res.status, `carrier refused the booking (${res.status}): ${text}`);
        return JSON.parse(text) as Booking;
      });
    } catch (err) {
      if (err instanceof TaskCancelledError)
        throw new CarrierFailed(`carrier timed out after ${opts.timeoutMs} ms`);
      throw err;
    }
  }

  return {
    book,
    get state(): BreakerStateName {
      return STATE_NAMES[breaker.state];
    },
  };
}
export type CarrierClient = ReturnType<typeof createCarrierClient>;
