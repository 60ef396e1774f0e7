/**
 * Payments service (schema `payments`, streams `account-<customerId>`): the customer's wallet.
 * charge/refund are idempotent per order (the decider) and per step key (deterministic event ids);
 * deposits are idempotent per deposit id (the request's idempotency key).
 */
import { accountDecider, accountStreamId, type AccountState } from '../../domain/account';
import {
  commandOptions,
  freshId,
  resolveDeps,
  toEventRecord,
  type CommandMeta,
  type EventRecord,
  type ServiceDeps,
} from '../common';
import { handleCommand } from '../../eventstore/command';

export interface AccountView {
  customerId: string;
  /** cents */
  balance: number;
  currency: 'USD';
  /** stream version (0: no events yet) */
  version: number;
}

export interface ChargeResult {
  customerId: string;
  orderId: string;
  /** the order's charge (the existing one on a retry) */
  amount: number;
  balance: number;
  version: number;
  /** false when this order had been charged before (a retry): nothing was written */
  appended: boolean;
}

export interface RefundResult {
  customerId: string;
  orderId: string;
  /** cents credited back by this order's refund (0 when there was no charge) */
  refunded: number;
  balance: number;
  version: number;
  /** false when there was nothing (more) to refund */
  appended: boolean;
}

const view = (customerId: string, state: AccountState, version: number): AccountView => ({
  customerId,
  balance: state.balance,
  currency: state.currency,
  version,
});

export function createPaymentsService(deps: ServiceDeps) {
  const { store, now } = resolveDeps(deps, 'payments');

  return {
    /**
     * Credits `amount` cents. depositId defaults to meta.idempotencyKey (the API's scoped key); without
     * either every call is a new deposit.
     */
    async deposit(
      input: { customerId: string; amount: number; depositId?: string },
      meta: CommandMeta = {},
    ): Promise<Omit<AccountView, 'currency'>> {
      const depositId = input.depositId ?? meta.idempotencyKey ?? freshId();
      const r = await handleCommand(
        store,
        accountStreamId(input.customerId),
        accountDecider,
        { type: 'Deposit', customerId: input.customerId, depositId, amount: input.amount, now: now() },
        commandOptions(meta, `deposit/${depositId}`),
      );
      return { customerId: input.customerId, balance: r.state.balance, version: r.version };
    },

    /** InsufficientFunds when the balance is short; InvalidAmount unless a positive integer; once per order */
    async charge(
      customerId: string,
      orderId: string,
      amount: number,
      meta: CommandMeta = {},
    ): Promise<ChargeResult> {
      const r = await handleCommand(
        store,
        accountStreamId(customerId),
        accountDecider,
        { type: 'Charge', customerId, orderId, amount, now: now() },
        commandOptions({ correlationId: orderId, ...meta }, `order-${orderId}/charge`),
      );
      return {
        customerId,
        orderId,
        amount: r.state.charges[orderId]?.amount ?? amount,
        balance: r.state.balance,
        version: r.version,
        appended: r.appended,
      };
    },

    /** credits back exactly this order's charge, once; a no-op when the order was never charged */
    async refund(customerId: string, orderId: string, meta: CommandMeta = {}): Promise<RefundResult> {
      const r = await handleCommand(
        store,
        accountStreamId(customerId),
        accountDecider,
        { type: 'Refund', customerId, orderId, now: now() },
        commandOptions({ correlationId: orderId, ...meta }, `order-${orderId}/refund`),
      );
      const charge = Object.prototype.hasOwnProperty.call(r.state.charges, orderId)
        ? r.state.charges[orderId]
        : undefined;
      return {
        customerId,
        orderId,
        refunded: charge?.refunded ? charge.amount : 0,
        balance: r.state.balance,
        version: r.version,
        appended: r.appended,
      };
    },

    /** balance now, or as of an instant (folded from the events recorded up to then) */
    async getAccount(customerId: string, asOf?: Date): Promise<AccountView> {
      const r = await store.aggregateStream(
        accountStreamId(customerId),
        accountDecider,
        asOf ? { asOf } : {},
      );
      return view(customerId, r.state, r.version);
    },

    async getAccountEvents(customerId: string): Promise<EventRecord[]> {
      return (await store.readStream(accountStreamId(customerId))).map(toEventRecord);
    },
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
