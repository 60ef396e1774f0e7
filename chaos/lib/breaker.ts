/**
 * The shipping worker's carrier circuit breaker as its /metrics exports it: the state gauge
 * (circuit_breaker_state: 0 closed, 1 open, 2 half-open) and the transition counters per new state
 * (circuit_breaker_transitions_total), which count every change, so no short half-open phase is missed.
 */

export interface BreakerReading {
  state: number;
  open: number;
  halfOpen: number;
  closed: number;
}

export async function readBreaker(metricsUrl: string): Promise<BreakerReading | undefined> {
  const text = await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '');
  return parseBreaker(text);
}

/** The carrier breaker's reading in a Prometheus text exposition; undefined when the gauge is absent. */
export function parseBreaker(text: string): BreakerReading | undefined {
  const gauge = /^circuit_breaker_state\{[^}]*dependency="carrier"[^}]*\} (\d+)/m.exec(text);
  if (!gauge) return undefined;
  const transitions = (state: string) => {
    const re = new RegExp(
      `^circuit_breaker_transitions_total\\{(?=[^}]*dependency="carrier")(?=[^}]*state="${state}")[^}]*\\} (\\d+)`,
      'm',
    );
    return Number(re.exec(text)?.[1] ?? 0);
  };
  return {
    state: Number(gauge[1]),
    open: transitions('open'),
    halfOpen: transitions('halfOpen'),
    closed: transitions('closed'),
  };
}
