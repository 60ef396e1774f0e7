/**
 * moneyDrift: the payments log's balances against three other sources, per account.
 * - Each event's recorded balanceAfter against the oracle's running balance (plain arithmetic over the log).
 * - The payments service's answer (GET /accounts/{id}) against that balance; no answer counts 1.
 * - The customer_orders read model: the totals of the customer's COMPLETED orders against what the payments
 *   log charged net (charged − refunded) on the account, leaving out orders placed but not settled (`stuck`).
 *   A 2PC/3PC order whose participants disagree is left out of this comparison (an atomicity violation,
 *   counted once as such: oracle/atomicity.ts); the balances above still include it.
 * A balance that went below 0 at any point counts 1.
 */
import { tally, type Invariant } from '../oracle/context';
import { unsettledIds } from '../oracle/standing';

export const moneyDrift = {
  name: 'moneyDrift',
  check(ctx) {
    const t = tally();
    for (const a of ctx.money.accounts.values()) {
      t.add(
        a.balanceAfterDrift,
        `account ${a.customerId}: recorded balanceAfter off the log's running balance by ${a.balanceAfterDrift} in total`,
      );
      if (a.wentNegative) t.add(1, `account ${a.customerId}: the balance went below 0`);
    }
    for (const [customerId, svc] of ctx.input.serviceBalances ?? []) {
      const log = ctx.money.accounts.get(customerId)?.balance ?? 0;
      if (svc === undefined) t.add(1, `account ${customerId}: the payments service gave no answer`);
      else t.add(Math.abs(svc - log), `account ${customerId}: the service says ${svc}, the log ${log}`);
    }
    const open = unsettledIds(ctx);
    const charged = new Map<string, number>();
    for (const m of ctx.money.orders.values()) {
      if (open.has(m.orderId) || ctx.atomicity.violations.has(m.orderId)) continue;
      charged.set(m.customerId, (charged.get(m.customerId) ?? 0) + m.charged - m.refunded);
    }
    const completed = new Map<string, number>();
    for (const r of ctx.snapshot.readModels.customerOrders) {
      if (open.has(r.order_id) || r.status !== 'COMPLETED') continue;
      completed.set(r.customer_id, (completed.get(r.customer_id) ?? 0) + r.total);
    }
    for (const c of new Set([...charged.keys(), ...completed.keys()])) {
      const [a, b] = [completed.get(c) ?? 0, charged.get(c) ?? 0];
      t.add(
        Math.abs(a - b),
        `customer ${c}: customer_orders shows ${a} in COMPLETED orders, the payments log charged ${b} net`,
      );
    }
    return t;
  },
} as const satisfies Invariant;
