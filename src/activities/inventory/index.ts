/** Inventory activities (task queue `inventory`): reserve / release stock for an order, idempotent per order. */
import type { OrderLine } from '../../domain/order/shape';
import type { EventMetadata } from '../../eventstore/types';
import { activityMetadata, run } from '../common';
import { KeyedLock } from '../keyed-lock';

export interface InventoryPort {
  /** all lines or none; InsufficientStock when any line cannot be reserved; repeat = no-op */
  reserve(orderId: string, lines: { sku: string; quantity: number }[], meta: EventMetadata): Promise<unknown>;
  /** releases what this order still holds; no-op when nothing is reserved */
  release(orderId: string, skus: string[], meta: EventMetadata): Promise<unknown>;
  /** the reserved units left with the shipment; repeat = no-op */
  commit(orderId: string, skus: string[], meta: EventMetadata): Promise<unknown>;
}

export function createInventoryActivities(deps: { inventory: InventoryPort }) {
  const { inventory } = deps;
  const locks = new KeyedLock();
  const skusOf = (lines: { sku: string }[]) => lines.map((l) => l.sku);
  return {
    async reserveStock(args: {
      orderId: string;
      lines: OrderLine[];
      key: string;
      requestId?: string;
    }): Promise<void> {
      const lines = args.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
      await locks.withLocks(skusOf(lines), () =>
        run(() => inventory.reserve(args.orderId, lines, activityMetadata(args.key, args))),
      );
    },
    async releaseStock(args: {
      orderId: string;
      lines: OrderLine[];
      key: string;
      requestId?: string;
    }): Promise<void> {
      const skus = args.lines.map((l) => l.sku);
      await locks.withLocks(skus, () =>
        run(() => inventory.release(args.orderId, skus, activityMetadata(args.key, args))),
      );
    },
    async commitStock(args: {
      orderId: string;
      lines: OrderLine[];
      key: string;
      requestId?: string;
    }): Promise<void> {
      const skus = args.lines.map((l) => l.sku);
      await locks.withLocks(skus, () =>
        run(() => inventory.commit(args.orderId, skus, activityMetadata(args.key, args))),
      );
    },
  };
}
export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
