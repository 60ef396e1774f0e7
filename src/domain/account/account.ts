/**
 * CustomerAccount aggregate (stream `account-<customerId>`): the wallet that pays for orders.
 * Invariants: amounts are positive integers (cents); the balance never goes negative; one charge per
 * order; a refund credits back exactly that order's charge, once; deposits are idempotent by depositId.
 * Money is conserved: balance = deposits − withdrawals − charges + refunds.
 */
import type { Decider } from '../decider';
import { InsufficientFunds, InvalidCommand, assertNever, assertPositiveInt } from '../errors';

// ---- events ---------------------------------------------------------------------------------------
export type FundsDeposited = {
  type: 'FundsDeposited';
  data: { customerId: string; depositId: string; amount: number; balanceAfter: number; at: string };
};
export type FundsWithdrawn = {
  type: 'FundsWithdrawn';
  data: { customerId: string; withdrawalId: string; amount: number; balanceAfter: number; at: string };
};
export type AccountCharged = {
  type: 'AccountCharged';
  data: { customerId: string; orderId: string; amount: number; balanceAfter: number; at: string };
};
export type AccountRefunded = {
  type: 'AccountRefunded';
  data: { customerId: string; orderId: string; amount: number; balanceAfter: number; at: string };
};
export type AccountEvent = FundsDeposited | FundsWithdrawn | AccountCharged | AccountRefunded;
export type AccountEventType = AccountEvent['type'];

// ---- commands -------------------------------------------------------------------------------------
export type Deposit = { type: 'Deposit'; customerId: string; depositId: string; amount: number; now: string };
export type Withdraw = {
  type: 'Withdraw';
  customerId: string;
  withdrawalId: string;
  amount: number;
  now: string;
};
export type Charge = { type: 'Charge'; customerId: string; orderId: string; amount: number; now: string };
export type Refund = { type: 'Refund'; customerId: string; orderId: string; now: string };
export type AccountCommand = Deposit | Withdraw | Charge | Refund;

// ---- state (JSON-serialisable) ---------------------------------------------------------------------
export interface AccountState {
  customerId: string | null;
  balance: number;
  currency: 'USD';
  /** depositId → amount */
  deposits: Record<string, number>;
  /** withdrawalId → amount */
  withdrawals: Record<string, number>;
  /** orderId → the charge and whether it was refunded */
  charges: Record<string, { amount: number; refunded: boolean }>;
  totalDeposited: number;
  totalWithdrawn: number;
  totalCharged: number;
  totalRefunded: number;
}

export const initialAccountState = (): AccountState => ({
  customerId: null,
  balance: 0,
  currency: 'USD',
  deposits: {},
  withdrawals: {},
  charges: {},
  totalDeposited: 0,
  totalWithdrawn: 0,
  totalCharged: 0,
  totalRefunded: 0,
});

const has = (rec: Record<string, unknown>, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(rec, key);

function checkCustomer(cmd: AccountCommand, state: AccountState): void {
  if (!cmd.customerId) throw new InvalidCommand('customerId is required');
  if (state.customerId !== null && state.customerId !== cmd.customerId) {
    throw new InvalidCommand(`account belongs to ${state.customerId}, not ${cmd.customerId}`);
  }
}

export function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  checkCustomer(command, state);
  const customerId = command.customerId;
  switch (command.type) {
    case 'Deposit':
      assertPositiveInt('amount', command.amount);
      if (!command.depositId) throw new InvalidCommand('depositId is required');
      if (has(state.deposits, command.depositId)) return [];
      return [
        {
          type: 'FundsDeposited',
          data: {
            customerId,
            depositId: command.depositId,
            amount: command.amount,
            balanceAfter: state.balance + command.amount,
            at: command.now,
          },
        },
      ];
    case 'Withdraw':
      assertPositiveInt('amount', command.amount);
      if (!command.withdrawalId) throw new InvalidCommand('withdrawalId is required');
      if (has(state.withdrawals, command.withdrawalId)) return [];
      if (command.amount > state.balance) throw new InsufficientFunds(state.balance, command.amount);
      return [
        {
          type: 'FundsWithdrawn',
          data: {
            customerId,
            withdrawalId: command.withdrawalId,
            amount: command.amount,
            balanceAfter: state.balance - command.amount,
            at: command.now,
          },
        },
      ];
    case 'Charge':
      assertPositiveInt('amount', command.amount);
      if (!command.orderId) throw new InvalidCommand('orderId is required');
      if (has(state.charges, command.orderId)) return []; // retried: this order was charged already
      if (command.amount > state.balance) throw new InsufficientFunds(state.balance, command.amount);
      return [
        {
          type: 'AccountCharged',
          data: {
            customerId,
            orderId: command.orderId,
            amount: command.amount,
            balanceAfter: state.balance - command.amount,
            at: command.now,
          },
        },
      ];
    case 'Refund': {
      if (!command.orderId) throw new InvalidCommand('orderId is required');
      const charge = has(state.charges, command.orderId) ? state.charges[command.orderId] : undefined;
      // nothing charged, or refunded already: a compensation with nothing to undo is a no-op
      if (!charge || charge.refunded) return [];
      return [
        {
          type: 'AccountRefunded',
          data: {
            customerId,
            orderId: command.orderId,
            amount: charge.amount,
            balanceAfter: state.balance + charge.amount,
            at: command.now,
          },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: AccountState, event: AccountEvent): AccountState {
  const customerId = event.data.customerId;
  switch (event.type) {
    case 'FundsDeposited':
      return {
        ...state,
        customerId,
        balance: state.balance + event.data.amount,
        deposits: { ...state.deposits, [event.data.depositId]: event.data.amount },
        totalDeposited: state.totalDeposited + event.data.amount,
      };
    case 'FundsWithdrawn':
      return {
        ...state,
        customerId,
        balance: state.balance - event.data.amount,
        withdrawals: { ...state.withdrawals, [event.data.withdrawalId]: event.data.amount },
        totalWithdrawn: state.totalWithdrawn + event.data.amount,
      };
    case 'AccountCharged':
      return {
        ...state,
        customerId,
        balance: state.balance - event.data.amount,
        charges: { ...state.charges, [event.data.orderId]: { amount: event.data.amount, refunded: false } },
        totalCharged: state.totalCharged + event.data.amount,
      };
    case 'AccountRefunded': {
      const prev = state.charges[event.data.orderId];
      return {
        ...state,
        customerId,
        balance: state.balance + event.data.amount,
        charges: {
          ...state.charges,
          [event.data.orderId]: { amount: prev?.amount ?? event.data.amount, refunded: true },
        },
        totalRefunded: state.totalRefunded + event.data.amount,
      };
    }
    default:
      return assertNever(event);
  }
}

export const accountDecider: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: initialAccountState,
  decide,
  evolve,
};

export const accountStreamId = (customerId: string): string => `account-${customerId}`;
