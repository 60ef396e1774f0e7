/**
 * PN-Counter: a counter that goes up and down, as two G-Counters (increments P, decrements N); merge merges
 * both, the value is value(P) − value(N). The same laws hold as for the G-Counter (commutative,
 * associative, idempotent merge); the value itself may go down (by decrements), but neither half ever does.
 */
import * as g from './g-counter';

export interface PNCounter {
  readonly p: g.GCounter;
  readonly n: g.GCounter;
}

export const emptyPNCounter = (): PNCounter => ({ p: g.emptyGCounter(), n: g.emptyGCounter() });

export const incrementPN = (c: PNCounter, slot: string, by = 1): PNCounter => ({
  p: g.increment(c.p, slot, by),
  n: c.n,
});

export const decrementPN = (c: PNCounter, slot: string, by = 1): PNCounter => ({
  p: c.p,
  n: g.increment(c.n, slot, by),
});

export const mergePN = (a: PNCounter, b: PNCounter): PNCounter => ({
  p: g.merge(a.p, b.p),
  n: g.merge(a.n, b.n),
});

export const valuePN = (c: PNCounter): number => g.value(c.p) - g.value(c.n);
