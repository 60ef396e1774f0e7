import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deciderSpec } from '../decider-spec';
import { DomainError } from '../errors';
import {
  accountDecider,
  accountStreamId,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
} from './account';

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
const withdrawn = (withdrawalId: string, amount: number, balanceAfter: number): AccountEvent => ({
  type: 'FundsWithdrawn',
  data: { customerId: c, withdrawalId, amount, balanceAfter, at: T },
});
/** checks the message the API and the saga show for a refusal */
const saying = (message: string) => (err: DomainError) => assert.equal(err.message, message);

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
  it('a withdrawal debits the balance, up to all of it, once per withdrawal id', () => {
    spec
      .given([deposited('d1', 1000, 1000)])
      .when({ type: 'Withdraw', customerId: c, withdrawalId: 'w1', amount: 1000, now: T })
      .then([withdrawn('w1', 1000, 0)]);
    spec
      .given([deposited('d1', 1000, 1000), withdrawn('w1', 400, 600)])
      .when({ type: 'Withdraw', customerId: c, withdrawalId: 'w1', amount: 400, now: T })
      .then([]);
    spec
      .given([deposited('d1', 1000, 1000), withdrawn('w1', 400, 600)])
      .when({ type: 'Withdraw', customerId: c, withdrawalId: 'w2', amount: 601, now: T })
      .thenThrows('InsufficientFunds', saying('Insufficient funds: balance 600, requested 601'));
    const state = spec.given([deposited('d1', 1000, 1000), withdrawn('w1', 400, 600)]).state();
    assert.deepEqual([state.balance, state.withdrawals, state.totalWithdrawn], [600, { w1: 400 }, 400]);
  });
  it('every command needs its customer, and deposits, withdrawals, charges and refunds their ids', () => {
    const given = spec.given([deposited('d1', 1000, 1000)]);
    given
      .when({ type: 'Deposit', customerId: '', depositId: 'd2', amount: 1, now: T })
      .thenThrows('InvalidCommand', saying('customerId is required'));
    given
      .when({ type: 'Deposit', customerId: c, depositId: '', amount: 1, now: T })
      .thenThrows('InvalidCommand', saying('depositId is required'));
    given
      .when({ type: 'Withdraw', customerId: c, withdrawalId: '', amount: 1, now: T })
      .thenThrows('InvalidCommand', saying('withdrawalId is required'));
    given
      .when({ type: 'Charge', customerId: c, orderId: '', amount: 1, now: T })
      .thenThrows('InvalidCommand', saying('orderId is required'));
    given
      .when({ type: 'Refund', customerId: c, orderId: '', now: T })
      .thenThrows('InvalidCommand', saying('orderId is required'));
  });
  it('a refused amount is named in the message', () => {
    const given = spec.given([deposited('d1', 1000, 1000)]);
    for (const cmd of [
      { type: 'Deposit', customerId: c, depositId: 'd2', amount: 0, now: T },
      { type: 'Withdraw', customerId: c, withdrawalId: 'w', amount: 0, now: T },
      { type: 'Charge', customerId: c, orderId: 'o', amount: 0, now: T },
    ] as const) {
      given.when(cmd).thenThrows('InvalidAmount', saying('amount must be a positive integer, got 0'));
    }
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
    const s = spec.given([...history, refunded('o1', 300, 800)]).state();
    assert.deepEqual(
      [s.balance, s.charges, s.totalDeposited, s.totalCharged, s.totalRefunded],
      [800, { o1: { amount: 300, refunded: true }, o2: { amount: 200, refunded: false } }, 1000, 500, 300],
    );
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
      .thenThrows('InvalidCommand', saying('account belongs to c1, not other'));
  });
  it('a new account is empty, in USD, and belongs to no one until its first event', () => {
    const state = spec.given([]).state();
    assert.deepEqual([state.customerId, state.balance, state.currency], [null, 0, 'USD']);
    assert.equal(spec.given([deposited('d1', 5, 5)]).state().customerId, c);
  });
  it('an unknown command or event is refused loudly, not ignored', () => {
    assert.throws(
      () =>
        accountDecider.decide(
          { type: 'Gift', customerId: c } as unknown as AccountCommand,
          spec.given([]).state(),
        ),
      /Unhandled case/,
    );
    assert.throws(
      () => accountDecider.evolve(spec.given([]).state(), { type: 'FundsGifted', data: {} } as never),
      /Unhandled case/,
    );
  });
  it('an account lives in the stream account-<customerId>', () => {
    assert.equal(accountStreamId('c-7'), 'account-c-7');
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
          const sum = (type: AccountEvent['type']) =>
            events.filter((e) => e.type === type).reduce((n, e) => n + e.data.amount, 0);
          assert.deepEqual(
            [state.totalDeposited, state.totalWithdrawn, state.totalCharged, state.totalRefunded],
            [sum('FundsDeposited'), sum('FundsWithdrawn'), sum('AccountCharged'), sum('AccountRefunded')],
            'each total is the sum of its events',
          );
          assert.equal(
            state.balance,
            state.totalDeposited - state.totalWithdrawn - state.totalCharged + state.totalRefunded,
            'balance = deposits − withdrawals − charges + refunds',
          );
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
