/**
 * The inventory service's saga steps (task queue `inventory`): reserve, release, commit an order's stock, one
 * line each. Each takes the in-process locks of the order's SKUs first (keyed-lock.ts).
 */
import type { OrderLine } from '../../workflows/contracts';
import type { InventoryService } from '../../services/inventory';
import { KeyedLock } from '../keyed-lock';
import { nothing, stepMeta, type Step } from '../step-meta';

type Args = { orderId: string; lines: OrderLine[] } & Step;

export function createInventoryActivities({ inventory }: { inventory: InventoryService }) {
  const locks = new KeyedLock();
  const locked = <T>(lines: OrderLine[], fn: () => Promise<T>) =>
    locks.withLocks(
      lines.map((l) => l.sku),
      fn,
    );
  return {
    reserveStock: ({ key, requestId, ...stock }: Args) =>
      locked(stock.lines, () => inventory.reserve(stock, stepMeta(key, stock.orderId, requestId))).then(
        nothing,
      ),
    releaseStock: ({ key, requestId, ...stock }: Args) =>
      locked(stock.lines, () => inventory.release(stock, stepMeta(key, stock.orderId, requestId))).then(
        nothing,
      ),
    commitStock: ({ key, requestId, ...stock }: Args) =>
      locked(stock.lines, () => inventory.commit(stock, stepMeta(key, stock.orderId, requestId))).then(
        nothing,
      ),
  };
}
export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
