/**
 * The oracle's fold of the payments log: each account's balance by plain arithmetic over its events
 * (deposits and refunds add, withdrawals and charges take away), every recorded `balanceAfter` against that
 * running balance, and each order's charges and refunds.
 */
import type { LoggedEvent } from './snapshot';
import { idOf, num, str } from './vocabulary';

export interface AccountFacts {
  customerId: string;
  balance: number;
  /** Σ |recorded balanceAfter − running balance| (a missing or non-numeric balanceAfter counts 1) */
  balanceAfterDrift: number;
  /** the running balance went below 0 */
  wentNegative: boolean;
}

export interface OrderMoney {
  orderId: string;
  /** the account the charge or refund was booked on */
  customerId: string;
  charged: number;
  refunded: number;
  charges: number;
  refunds: number;
}

export interface MoneyFacts {
  accounts: Map<string, AccountFacts>;
  /** per order id */
  orders: Map<string, OrderMoney>;
}

const SIGN: Record<string, 1 | -1> = {
  FundsDeposited: 1,
  AccountRefunded: 1,
  FundsWithdrawn: -1,
  AccountCharged: -1,
};

export function foldMoney(streams: Map<string, LoggedEvent[]>): MoneyFacts {
  const accounts = new Map<string, AccountFacts>();
  const orders = new Map<string, OrderMoney>();
  for (const [streamId, events] of streams) {
    if (!streamId.startsWith('account-')) continue;
    const a: AccountFacts = {
      customerId: idOf('payments', streamId),
      balance: 0,
      balanceAfterDrift: 0,
      wentNegative: false,
    };
    for (const e of events) {
      const sign = SIGN[e.type];
      if (sign === undefined) continue; // unknown types are counted by unknownEvents
      const amount = num(e.data.amount);
      a.balance += sign * amount;
      const after = num(e.data.balanceAfter);
      a.balanceAfterDrift += Number.isNaN(after) ? 1 : Math.abs(after - a.balance);
      if (a.balance < 0) a.wentNegative = true;
      if (e.type === 'AccountCharged' || e.type === 'AccountRefunded') {
        const orderId = str(e.data.orderId) ?? '';
        const m = orders.get(orderId) ?? {
          orderId,
          customerId: a.customerId,
          charged: 0,
          refunded: 0,
          charges: 0,
          refunds: 0,
        };
        if (m.customerId !== a.customerId) m.customerId = `${m.customerId}+${a.customerId}`;
        if (e.type === 'AccountCharged') {
          m.charged += amount;
          m.charges += 1;
        } else {
          m.refunded += amount;
          m.refunds += 1;
        }
        orders.set(orderId, m);
      }
    }
    accounts.set(a.customerId, a);
  }
  return { accounts, orders };
}
