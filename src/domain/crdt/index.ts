/** Conflict-free replicated counters (pure): G-Counter and PN-Counter. */
export { emptyGCounter, fromSlot, increment, lessOrEqual, merge, value, type GCounter } from './g-counter';
export { decrementPN, emptyPNCounter, incrementPN, mergePN, valuePN, type PNCounter } from './pn-counter';
