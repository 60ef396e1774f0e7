/**
 * stockDrift: the inventory log's buckets against two other sources.
 * - The inventory service's answer (GET /inventory/{sku}: available, reserved) against the oracle's fold of
 *   that SKU's log; no answer for a SKU the suite asked about counts 1.
 * - The order_analytics_skus read model (quantity and number of lines per SKU over orders neither FAILED
 *   nor CANCELLED) against the units and reservations the inventory log committed, leaving out orders that
 *   are placed but not settled on both sides (those are `stuck`).
 */
import { tally, type Invariant } from '../oracle/context';
import { unsettledIds } from '../oracle/standing';

export const stockDrift = {
  name: 'stockDrift',
  check(ctx) {
    const t = tally();
    for (const [sku, svc] of ctx.input.serviceStock ?? []) {
      const log = ctx.stock.items.get(sku) ?? { available: 0, reserved: 0 };
      if (!svc) {
        t.add(1, `item ${sku}: the inventory service gave no answer`);
        continue;
      }
      const d = Math.abs(svc.available - log.available) + Math.abs(svc.reserved - log.reserved);
      t.add(
        d,
        `item ${sku}: the service says ${svc.available}/${svc.reserved}, the log ${log.available}/${log.reserved} (available/reserved)`,
      );
    }
    const open = unsettledIds(ctx);
    const rm = new Map<string, { quantity: number; lines: number }>();
    for (const r of ctx.snapshot.readModels.analyticsSkus)
      rm.set(r.sku, { quantity: r.quantity, lines: r.orders });
    for (const id of open) {
      const o = ctx.orders.get(id);
      if (o?.status === 'FAILED' || o?.status === 'CANCELLED') continue; // not in the model's sums
      for (const l of o?.placed?.lines ?? []) {
        const x = rm.get(l.sku) ?? { quantity: 0, lines: 0 };
        rm.set(l.sku, { quantity: x.quantity - l.quantity, lines: x.lines - 1 });
      }
    }
    const log = new Map<string, { quantity: number; lines: number }>();
    for (const r of ctx.stock.reservations.values()) {
      if (open.has(r.orderId) || r.committed === 0) continue;
      const x = log.get(r.sku) ?? { quantity: 0, lines: 0 };
      log.set(r.sku, { quantity: x.quantity + r.committed, lines: x.lines + 1 });
    }
    for (const sku of new Set([...rm.keys(), ...log.keys()])) {
      const a = rm.get(sku) ?? { quantity: 0, lines: 0 };
      const b = log.get(sku) ?? { quantity: 0, lines: 0 };
      const d = Math.abs(a.quantity - b.quantity) + Math.abs(a.lines - b.lines);
      t.add(
        d,
        `item ${sku}: order_analytics_skus says ${a.quantity} units in ${a.lines} lines, the inventory log committed ${b.quantity} in ${b.lines}`,
      );
    }
    return t;
  },
} as const satisfies Invariant;
