/**
 * Atomicity of the 2PC and 3PC orders, read from the three voting participants' own logs: each distributed
 * transaction of an order either took effect in every participant or in none. `apply`: the orders log
 * marked it paid (OrderPaid), the inventory log reserved stock for it, the payments log charged it;
 * `reverse` (of an applied order): the orders log ended it FAILED or CANCELLED, inventory released, payments
 * refunded. A settled order where they disagree is an atomicity violation: 3PC's known failure under a
 * network partition (a participant pre-committed, cut off, commits by its timeout rule while the
 * coordinator aborts). Orders not settled are left to `stuck` (phase 2 finishes participants one by one).
 */
import type { MoneyFacts } from './money-fold';
import type { Mode } from './modes';
import type { OrderFacts } from './orders-fold';
import type { LoggedEvent } from './snapshot';
import type { StockFacts } from './stock-fold';

/** the order of a prepared transaction's gid (`order-saga:<orderId>:<kind>:<participant>`), by the oracle's reading */
export function parseProjectGid(
  gid: string,
): { orderId: string; kind: string; participant: string } | undefined {
  const m = /^order-saga:(.+):(apply|reverse):(orders|inventory|payments)$/.exec(gid);
  return m ? { orderId: m[1]!, kind: m[2]!, participant: m[3]! } : undefined;
}

export interface AtomicityFacts {
  /** settled 2pc/3pc orders whose participants disagree, with what each did */
  violations: Map<string, string>;
}

export function foldAtomicity(a: {
  orders: Map<string, OrderFacts>;
  orderStreams: Map<string, LoggedEvent[]>;
  money: MoneyFacts;
  stock: StockFacts;
  modeOf: (orderId: string) => Mode;
}): AtomicityFacts {
  const reservations = new Map<string, { reserved: number; released: number }>();
  for (const r of a.stock.reservations.values()) {
    const x = reservations.get(r.orderId) ?? { reserved: 0, released: 0 };
    reservations.set(r.orderId, { reserved: x.reserved + r.reserved, released: x.released + r.released });
  }
  const violations = new Map<string, string>();
  for (const o of a.orders.values()) {
    if (!o.settled) continue;
    const mode = a.modeOf(o.orderId);
    if (mode !== '2pc' && mode !== '3pc') continue;
    const paid = (a.orderStreams.get(`order-${o.orderId}`) ?? []).some((e) => e.type === 'OrderPaid');
    const stock = reservations.get(o.orderId);
    const money = a.money.orders.get(o.orderId);
    const apply = {
      orders: paid,
      inventory: (stock?.reserved ?? 0) > 0,
      payments: (money?.charged ?? 0) > 0,
    };
    const reverse = {
      orders: paid && o.status !== 'COMPLETED',
      inventory: (stock?.released ?? 0) > 0,
      payments: (money?.refunded ?? 0) > 0,
    };
    const disagree = (x: Record<string, boolean>) => new Set(Object.values(x)).size > 1;
    if (disagree(apply) || (apply.orders && disagree(reverse)))
      violations.set(
        o.orderId,
        `${mode} order ${o.orderId} (${o.status}): apply ${JSON.stringify(apply)}, reverse ${JSON.stringify(reverse)}`,
      );
  }
  return { violations };
}
