/**
 * demandMismatches: the demand read model's CRDT (inventory.demand_slots: one replica slot per consumer
 * instance; merged, each G-Counter is the sum over the slots) against the oracle's fold of the inventory log
 * as published (the outbox rows of `inventory.events`, written in each append's transaction): per SKU the
 * quantities of StockReserved (reserved), StockReleased (released) and StockCommitted (shipped). One per
 * (SKU, counter) that differs, a SKU on either side only included; a published move without a SKU or a
 * whole positive quantity counts too.
 */
import { tally, type Invariant } from '../oracle/context';
import { num, str } from '../oracle/vocabulary';

const COUNTED = { StockReserved: 'reserved', StockReleased: 'released', StockCommitted: 'shipped' } as const;
const COUNTERS = ['reserved', 'released', 'shipped'] as const;
type Demand = Record<(typeof COUNTERS)[number], number>;

export const demandMismatches = {
  name: 'demandMismatches',
  check(ctx) {
    const t = tally();
    const zero = (): Demand => ({ reserved: 0, released: 0, shipped: 0 });
    const folded = new Map<string, Demand>();
    for (const p of ctx.snapshot.bus.published.inventory) {
      const counter = COUNTED[p.type as keyof typeof COUNTED];
      if (!counter) continue;
      const sku = str(p.data?.sku);
      const qty = num(p.data?.quantity);
      if (sku === undefined || !(Number.isInteger(qty) && qty > 0)) {
        t.add(1, `${p.type} ${p.eventId}: no SKU or quantity`);
        continue;
      }
      const d = folded.get(sku) ?? zero();
      d[counter] += qty;
      folded.set(sku, d);
    }
    const merged = new Map<string, Demand>();
    for (const s of ctx.snapshot.bus.demandSlots) {
      const d = merged.get(s.sku) ?? zero();
      for (const c of COUNTERS) d[c] += s[c];
      merged.set(s.sku, d);
    }
    for (const sku of new Set([...folded.keys(), ...merged.keys()]))
      for (const c of COUNTERS) {
        const want = folded.get(sku)?.[c] ?? 0;
        const got = merged.get(sku)?.[c] ?? 0;
        if (want !== got) t.add(1, `${sku} ${c}: the demand CRDT says ${got}, the inventory log ${want}`);
      }
    return t;
  },
} as const satisfies Invariant;
