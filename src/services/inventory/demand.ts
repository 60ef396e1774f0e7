/**
 * Per-SKU demand (inventory service): units reserved, released and shipped, maintained by the consumer
 * instances of the `inventory.demand` group. Each instance owns one slot (a row per SKU) and only ever adds
 * to its own slot, in the transaction that advances the group's checkpoint of the item's stream, so every
 * event is counted once, in one slot. A slot's counts are that replica's G-Counter entries; a read merges
 * the slots (src/domain/crdt): reserved, released and shipped are G-Counters, and the units still held
 * (reserved − released − shipped) a PN-Counter.
 */
import type { Pool, PoolClient } from 'pg';
import type { BusEvent } from '../../bus/ordered-apply';
import { eventsTopic } from '../../bus/topics';
import {
  emptyGCounter,
  emptyPNCounter,
  fromSlot,
  merge,
  mergePN,
  value,
  valuePN,
  type GCounter,
} from '../../domain/crdt';

export const DEMAND_CONSUMER = 'inventory.demand';
export const DEMAND_TOPICS = [eventsTopic('inventory')];

/** Which counter an inventory event adds its quantity to. */
const COUNTED = { StockReserved: 'reserved', StockReleased: 'released', StockCommitted: 'shipped' } as const;

export interface SkuDemand {
  sku: string;
  reserved: number;
  released: number;
  shipped: number;
  /** reserved − released − shipped: units held by orders in flight */
  outstanding: number;
  /** slots (consumer instances) that counted something for this SKU */
  slots: number;
}

/** The effect of one inventory event on `slot`'s counters (nothing for events that move no demand). */
export function demandApplier(slot: string) {
  return async (client: PoolClient, event: BusEvent): Promise<void> => {
    const column = COUNTED[event.envelope.type as keyof typeof COUNTED];
    if (!column) return;
    const data = event.envelope.data as { sku?: unknown; quantity?: unknown };
    if (typeof data.sku !== 'string' || !Number.isSafeInteger(data.quantity) || (data.quantity as number) < 0)
      throw new TypeError(`${event.envelope.type} ${event.envelope.eventId}: no sku or quantity`);
    await client.query(
      `INSERT INTO inventory.demand_slots (sku, slot, ${column}) VALUES ($1, $2, $3)
       ON CONFLICT (sku, slot) DO UPDATE SET ${column} = demand_slots.${column} + EXCLUDED.${column}, updated_at = now()`,
      [data.sku, slot, data.quantity],
    );
  };
}

export interface DemandSlotRow {
  slot: string;
  reserved: number;
  released: number;
  shipped: number;
}

/** Merges the slots' replicas (pure). */
export function mergeDemand(sku: string, rows: readonly DemandSlotRow[]): SkuDemand {
  const counters = { reserved: emptyGCounter(), released: emptyGCounter(), shipped: emptyGCounter() };
  let held = emptyPNCounter();
  for (const r of rows) {
    const one = (n: number): GCounter => fromSlot(r.slot, n);
    counters.reserved = merge(counters.reserved, one(r.reserved));
    counters.released = merge(counters.released, one(r.released));
    counters.shipped = merge(counters.shipped, one(r.shipped));
    held = mergePN(held, { p: one(r.reserved), n: one(r.released + r.shipped) });
  }
  return {
    sku,
    reserved: value(counters.reserved),
    released: value(counters.released),
    shipped: value(counters.shipped),
    outstanding: valuePN(held),
    slots: rows.length,
  };
}

export async function getSkuDemand(pool: Pool, sku: string): Promise<SkuDemand> {
  const r = await pool.query<{ slot: string; reserved: string; released: string; shipped: string }>(
    `SELECT slot, reserved, released, shipped FROM inventory.demand_slots WHERE sku = $1`,
    [sku],
  );
  return mergeDemand(
    sku,
    r.rows.map((x) => ({
      slot: x.slot,
      reserved: Number(x.reserved),
      released: Number(x.released),
      shipped: Number(x.shipped),
    })),
  );
}
