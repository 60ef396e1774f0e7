/**
 * The inventory service's saga steps (task queue `inventory`): reserve, release, commit an order's stock, one
 * line each. Each takes the in-process locks of the order's SKUs first (keyed-lock.ts).
 */
import type { OrderLine } from '../../domain/order/shape';
import type { InventoryService } from '../../services/inventory';
import { KeyedLock } from '../keyed-lock';
import { nothing, stepMeta, type Step } from '../step-meta';

type Args = { orderId: string; lines: OrderLine[] } & Step;
const skusOf = (lines: OrderLine[]) => lines.map((l) => l.sku);

export function createInventoryActivities({ inventory }: { inventory: InventoryService }) {
  const locks = new KeyedLock();
  /** runs a step holding the locks of its SKUs; the step answers nothing */
  const locked = (lines: OrderLine[], step: () => Promise<unknown>): Promise<void> =>
    locks.withLocks(skusOf(lines), step).then(nothing);
  return {
    reserveStock: ({ key, requestId, ...s }: Args) =>
      locked(s.lines, () => inventory.reserve(s, stepMeta(key, s.orderId, requestId))),
    releaseStock: ({ key, requestId, ...s }: Args) =>
      locked(s.lines, () => inventory.release(s, stepMeta(key, s.orderId, requestId))),
    commitStock: ({ key, requestId, ...s }: Args) =>
      locked(s.lines, () => inventory.commit(s, stepMeta(key, s.orderId, requestId))),
  };
}
export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
