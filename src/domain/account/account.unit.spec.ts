import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deciderSpec } from '../decider-spec';
import { DomainError } from '../errors';
import { accountDecider, type AccountCommand, type AccountEvent, type AccountState } from './account';

const spec = deciderSpec(accountDecider);
const T = '2026-01-01T10:00:00.000Z';
const c = 'c1';
const deposited = (depositId: string, amount: number, balanceAfter: number): AccountEvent => ({
  type: 'FundsDeposited',
  data: { customerId: c, depositId, amount, balanceAfter, at: T },
});
const charged = (orderId: string, amount: number, balanceAfter: number): AccountEvent => ({
  type: 'AccountCharged',
  data: { customerId: c, orderId, amount, balanceAfter, at: T },
});
const refunded = (orderId: string, amount: number, balanceAfter: number): AccountEvent => ({
  type: 'AccountRefunded',
  data: { customerId: c, orderId, amount, balanceAfter, at: T },
});

describe('CustomerAccount decider', () => {
  it('a deposit credits the balance', () => {
    spec
      .given([])
      .when({ type: 'Deposit', customerId: c, depositId: 'd1', amount: 1000, now: T })
      .then([deposited('d1', 1000, 1000)]);
    assert.equal(spec.given([deposited('d1', 1000, 1000)]).state().balance, 1000);
  });
  it('a repeated deposit id changes nothing', () => {
    spec
      .given([deposited('d1', 1000, 1000)])
      .when({ type: 'Deposit', customerId: c, depositId: 'd1', amount: 1000, now: T })
      .then([]);
  });
  it('amounts must be positive integers of cents', () => {
    for (const amount of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      spec
        .given([])
        .when({ type: 'Deposit', customerId: c, depositId: 'd', amount, now: T })
        .thenThrows('InvalidAmount');
      spec
        .given([deposited('d1', 1000, 1000)])
        .when({ type: 'Charge', customerId: c, orderId: 'o', amount, now: T })
        .thenThrows('InvalidAmount');
      spec
        .given([deposited('d1', 1000, 1000)])
        .when({ type: 'Withdraw', customerId: c, withdrawalId: 'w', amount, now: T })
        .thenThrows('InvalidAmount');
    }
  });
  it('a charge beyond the balance is refused with InsufficientFunds', () => {
    spec
      .given([deposited('d1', 1000, 1000)])
      .when({ type: 'Charge', customerId: c, orderId: 'o1', amount: 1001, now: T })
      .thenThrows('InsufficientFunds', (err) =>
        assert.deepEqual(err.details, { balance: 1000, requested: 1001 }),
      );
    spec
      .given([])
      .when({ type: 'Withdraw', customerId: c, withdrawalId: 'w', amount: 1, now: T })
      .thenThrows('InsufficientFunds');
  });
  it('the whole balance can be charged', () => {
    spec
      .given([deposited('d1', 1000, 1000)])
      .when({ type: 'Charge', customerId: c, orderId: 'o1', amount: 1000, now: T })
      .then([charged('o1', 1000, 0)]);
  });
  it('an order is charged once: a repeat returns no events', () => {
    spec
      .given([deposited('d1', 1000, 1000), charged('o1', 300, 700)])
      .when({ type: 'Charge', customerId: c, orderId: 'o1', amount: 300, now: T })
      .then([]);
  });
  it('a refund credits back exactly that charge, once', () => {
    const history = [deposited('d1', 1000, 1000), charged('o1', 300, 700), charged('o2', 200, 500)];
    spec
      .given(history)
      .when({ type: 'Refund', customerId: c, orderId: 'o1', now: T })
      .then([refunded('o1', 300, 800)]);
    spec
      .given([...history, refunded('o1', 300, 800)])
      .when({ type: 'Refund', customerId: c, orderId: 'o1', now: T })
      .then([]);
  });
  it('a refund with no charge is a safe no-op', () => {
    spec
      .given([deposited('d1', 1000, 1000)])
      .when({ type: 'Refund', customerId: c, orderId: 'nope', now: T })
      .then([]);
    spec.given([]).when({ type: 'Refund', customerId: c, orderId: 'nope', now: T }).then([]);
  });
  it('a refunded order is not charged again by a late retry', () => {
    spec
      .given([deposited('d1', 1000, 1000), charged('o1', 300, 700), refunded('o1', 300, 1000)])
      .when({ type: 'Charge', customerId: c, orderId: 'o1', amount: 300, now: T })
      .then([]);
  });
  it('a command for another customer is refused', () => {
    spec
      .given([deposited('d1', 1000, 1000)])
      .when({ type: 'Deposit', customerId: 'other', depositId: 'd2', amount: 1, now: T })
      .thenThrows('InvalidCommand');
  });
  it('an order id such as __proto__ is an ordinary key', () => {
    const e = spec
      .given([deposited('d1', 1000, 1000)])
      .when({ type: 'Charge', customerId: c, orderId: '__proto__', amount: 10, now: T })
      .events();
    assert.equal(e.length, 1);
    const state = spec.given([deposited('d1', 1000, 1000), ...e]).state();
    assert.deepEqual(state.charges['__proto__'], { amount: 10, refunded: false });
    spec
      .given([deposited('d1', 1000, 1000), ...e])
      .when({ type: 'Charge', customerId: c, orderId: '__proto__', amount: 10, now: T })
      .then([]);
  });

  describe('properties', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const amount = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(0, -1, 2.5));
    const command: fc.Arbitrary<AccountCommand> = fc.oneof(
      fc.record({
        type: fc.constant('Deposit' as const),
        customerId: fc.constant(c),
        depositId: id,
        amount,
        now: fc.constant(T),
      }),
      fc.record({
        type: fc.constant('Withdraw' as const),
        customerId: fc.constant(c),
        withdrawalId: id,
        amount,
        now: fc.constant(T),
      }),
      fc.record({
        type: fc.constant('Charge' as const),
        customerId: fc.constant(c),
        orderId: id,
        amount,
        now: fc.constant(T),
      }),
      fc.record({
        type: fc.constant('Refund' as const),
        customerId: fc.constant(c),
        orderId: id,
        now: fc.constant(T),
      }),
    );

    const run = (commands: AccountCommand[]): { state: AccountState; events: AccountEvent[] } => {
      let state = accountDecider.initialState();
      const events: AccountEvent[] = [];
      for (const cmd of commands) {
        try {
          for (const e of accountDecider.decide(cmd, state)) {
            events.push(e);
            state = accountDecider.evolve(state, e);
          }
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
        }
      }
      return { state, events };
    };

    it('money is conserved and the balance is never negative, whatever the commands', () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
          const { state, events } = run(commands);
          let balance = 0;
          let deposits = 0;
          let netCharges = 0;
          for (const e of events) {
            const a = e.data.amount;
            assert.ok(Number.isSafeInteger(a) && a > 0, 'every event moves a positive integer amount');
            if (e.type === 'FundsDeposited') deposits += a;
            else if (e.type === 'AccountRefunded') netCharges -= a;
            else netCharges += a;
            balance = e.data.balanceAfter;
            assert.ok(balance >= 0, 'balance never negative');
          }
          assert.equal(state.balance, balance);
          assert.equal(deposits, state.balance + netCharges, 'deposits = balance + net charges');
        }),
      );
    });

    it('each order is charged at most once and refunded at most once, for exactly its charge', () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
          const { events } = run(commands);
          const charges = new Map<string, number>();
          const refunds = new Map<string, number>();
          for (const e of events) {
            if (e.type === 'AccountCharged') {
              assert.ok(!charges.has(e.data.orderId), 'charged twice');
              charges.set(e.data.orderId, e.data.amount);
            }
            if (e.type === 'AccountRefunded') {
              assert.ok(!refunds.has(e.data.orderId), 'refunded twice');
              assert.equal(e.data.amount, charges.get(e.data.orderId), 'refund equals the charge');
              refunds.set(e.data.orderId, e.data.amount);
            }
          }
        }),
      );
    });

    it('deciding a command a second time right after it was applied yields nothing (idempotent)', () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 30 }), command, (prefix, cmd) => {
          const { state } = run(prefix);
          let events: AccountEvent[];
          try {
            events = accountDecider.decide(cmd, state);
          } catch {
            return; // refused: nothing to repeat
          }
          const after = events.reduce(accountDecider.evolve, state);
          assert.deepEqual(accountDecider.decide(cmd, after), []);
        }),
      );
    });
  });
});
