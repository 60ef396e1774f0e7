/**
 * The oracle's fold of the inventory log: per SKU the three buckets by plain arithmetic (a restock adds to
 * available; a reservation moves available → reserved; a release moves it back; a commit moves reserved →
 * shipped), the deepest the available bucket ever went below 0, and per (SKU, order) how much was
 * reserved, released and committed.
 */
import type { LoggedEvent } from './snapshot';
import { idOf, num, str } from './vocabulary';

export interface ReservationFacts {
  sku: string;
  orderId: string;
  reserved: number;
  released: number;
  committed: number;
  /** at some point more was released + committed than had been reserved */
  overMoved: boolean;
}

export interface ItemFacts {
  sku: string;
  available: number;
  reserved: number;
  shipped: number;
  /** max(0, −lowest available): units reserved beyond what had been restocked at that moment */
  deficit: number;
  /** movements with a quantity that is not a positive integer */
  badQuantities: number;
}

export interface StockFacts {
  items: Map<string, ItemFacts>;
  /** per `${sku}|${orderId}` */
  reservations: Map<string, ReservationFacts>;
}

export const reservationKey = (sku: string, orderId: string): string => `${sku}|${orderId}`;

const MOVES = new Set(['ItemRestocked', 'StockReserved', 'StockReleased', 'StockCommitted']);

export function foldStock(streams: Map<string, LoggedEvent[]>): StockFacts {
  const items = new Map<string, ItemFacts>();
  const reservations = new Map<string, ReservationFacts>();
  for (const [streamId, events] of streams) {
    if (!streamId.startsWith('item-')) continue;
    const sku = idOf('inventory', streamId);
    const it: ItemFacts = { sku, available: 0, reserved: 0, shipped: 0, deficit: 0, badQuantities: 0 };
    for (const e of events) {
      if (!MOVES.has(e.type)) continue; // ItemDefined/ItemUpdated move no stock; unknown types are counted elsewhere
      const qty = num(e.data.quantity);
      if (!(Number.isInteger(qty) && qty > 0)) {
        it.badQuantities += 1;
        continue;
      }
      if (e.type === 'ItemRestocked') {
        it.available += qty;
        continue;
      }
      const orderId = str(e.data.orderId) ?? '';
      const k = reservationKey(sku, orderId);
      const r = reservations.get(k) ?? {
        sku,
        orderId,
        reserved: 0,
        released: 0,
        committed: 0,
        overMoved: false,
      };
      if (e.type === 'StockReserved') {
        it.available -= qty;
        it.reserved += qty;
        r.reserved += qty;
      } else if (e.type === 'StockReleased') {
        it.reserved -= qty;
        it.available += qty;
        r.released += qty;
      } else {
        it.reserved -= qty;
        it.shipped += qty;
        r.committed += qty;
      }
      if (r.released + r.committed > r.reserved) r.overMoved = true;
      reservations.set(k, r);
      it.deficit = Math.max(it.deficit, -it.available);
    }
    items.set(sku, it);
  }
  return { items, reservations };
}
