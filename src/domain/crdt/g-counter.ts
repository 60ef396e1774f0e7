/**
 * G-Counter (grow-only counter), a state-based CRDT: one non-negative count per replica (slot); a replica
 * only ever increments its own slot; two states merge by taking each slot's maximum; the value is the sum.
 * Merge is commutative, associative and idempotent, so replicas that exchange states in any order, any
 * number of times, agree; and a merge never lowers a slot, so the value never goes backwards.
 */
export type GCounter = Readonly<Record<string, number>>;

export const emptyGCounter = (): GCounter => ({});

function assertCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/** `slot` adds `by` (≥ 0) to its own count. */
export function increment(counter: GCounter, slot: string, by = 1): GCounter {
  assertCount(by, 'increment');
  return { ...counter, [slot]: (counter[slot] ?? 0) + by };
}

export function merge(a: GCounter, b: GCounter): GCounter {
  const out: Record<string, number> = { ...a };
  for (const [slot, n] of Object.entries(b)) out[slot] = Math.max(out[slot] ?? 0, n);
  return out;
}

export function value(counter: GCounter): number {
  let sum = 0;
  for (const n of Object.values(counter)) sum += n;
  return sum;
}

/** A slot's own count as a one-slot counter (what one replica stores and ships). */
export function fromSlot(slot: string, count: number): GCounter {
  assertCount(count, 'count');
  return { [slot]: count };
}

/** a ≤ b in the CRDT's order (every slot of a at most b's): b has seen everything a has */
export function lessOrEqual(a: GCounter, b: GCounter): boolean {
  return Object.entries(a).every(([slot, n]) => n <= (b[slot] ?? 0));
}
