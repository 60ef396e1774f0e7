import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidTransition } from '../errors';
import {
  choreographyDecider as d,
  type ChoreographyCommand,
  type ChoreographyState,
  participationDecider as p,
  type ParticipationState,
  progressDeadlineMs,
} from '.';

const now = '2026-01-01T00:00:00.000Z';
const order = {
  orderId: 'o1',
  customerId: 'c1',
  lines: [{ sku: 'A', quantity: 1, unitPrice: 100 }],
  total: 100,
  currency: 'USD' as const,
  shippingAddress: { name: 'n', line1: 'l', city: 'c', postalCode: 'p', country: 'US' },
  placedAt: now,
};
const timings = { windowMs: 0, stepDeadlineMs: 1000, shipmentBudgetMs: 1000 };

function run(commands: ChoreographyCommand[]): ChoreographyState {
  return commands.reduce((s, c) => d.decide(c, s).reduce(d.evolve, s), d.initialState());
}
const view = (s: ChoreographyState) => (s.status === 'NONE' ? undefined : s);
const start: ChoreographyCommand = { type: 'StartChoreography', order, timings, now };
const done = (
  service: 'inventory' | 'payments' | 'shipping',
  step: string,
  detail = {},
): ChoreographyCommand => ({
  type: 'ObserveCompleted',
  service,
  step,
  detail,
  now,
});
const undone = (service: 'inventory' | 'payments' | 'shipping'): ChoreographyCommand => ({
  type: 'ObserveUndone',
  service,
  now,
});

describe('choreographed saga state machine', () => {
  it('records its last progress: the newest transition or undo observed', () => {
    const at = (n: number) => `2026-01-01T00:00:0${n}.000Z`;
    const s = run([
      { ...start, now: at(1) },
      { type: 'ObserveCompleted', service: 'inventory', step: 'reserve', detail: {}, now: at(2) },
      { type: 'DeadlineExceeded', state: 'INVENTORY_RESERVED', now: at(3) },
      { type: 'ObserveUndone', service: 'payments', now: at(4) },
    ]);
    assert.equal(view(s)?.status, 'COMPENSATING');
    assert.equal(view(s)?.progressedAt, at(4));
  });

  it('gives each state the time it may take without progress: the shipment its budget, the paid order its window', () => {
    const t = { windowMs: 10, stepDeadlineMs: 1000, shipmentBudgetMs: 5000 };
    assert.equal(progressDeadlineMs('ORDER_PLACED', t), 1000);
    assert.equal(progressDeadlineMs('PAYMENT_COMPLETED', t), 1010);
    assert.equal(progressDeadlineMs('AWAITING_SHIPMENT', t), 6000);
    assert.equal(progressDeadlineMs('COMPENSATING', t), 1000);
    for (const ended of ['COMPLETED', 'FAILED', 'CANCELLED'] as const)
      assert.equal(progressDeadlineMs(ended, t), undefined, ended);
  });

  it('moves along the happy path on the participants’ outcomes and the window', () => {
    const s = run([
      start,
      done('inventory', 'reserve'),
      done('payments', 'charge'),
      { type: 'WindowElapsed', now },
      done('shipping', 'createShipment', { shipmentId: 's', trackingNumber: 't' }),
      done('inventory', 'commit'),
    ]);
    assert.equal(s.status, 'COMPLETED');
    assert.deepEqual(view(s)?.shipment, { shipmentId: 's', trackingNumber: 't' });
  });

  it('a refusal compensates; FAILED only once all three participants report undone; a repeat changes nothing', () => {
    const refused: ChoreographyCommand = {
      type: 'ObserveRefused',
      service: 'payments',
      step: 'charge',
      reason: { type: 'InsufficientFunds', message: 'x' },
      now,
    };
    let s = run([start, done('inventory', 'reserve'), refused, undone('inventory'), undone('payments')]);
    assert.equal(s.status, 'COMPENSATING');
    assert.deepEqual(d.decide(undone('payments'), s), []);
    s = d.decide(undone('shipping'), s).reduce(d.evolve, s);
    assert.equal(s.status, 'FAILED');
    assert.deepEqual(view(s)?.failure, {
      step: 'chargePayment',
      type: 'InsufficientFunds',
      message: 'x',
    });
  });

  it('a cancel is accepted until the window closes, then rejected (InvalidTransition); a cancelled saga ends CANCELLED', () => {
    const cancel: ChoreographyCommand = { type: 'CancelChoreography', reason: 'r', now };
    const paid = run([start, done('inventory', 'reserve'), done('payments', 'charge')]);
    const cancelled = run([
      start,
      done('inventory', 'reserve'),
      done('payments', 'charge'),
      cancel,
      undone('inventory'),
      undone('payments'),
      undone('shipping'),
    ]);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(d.decide(cancel, paid)[0]?.type, 'SagaTransitioned');
    const awaiting = run([
      start,
      done('inventory', 'reserve'),
      done('payments', 'charge'),
      { type: 'WindowElapsed', now },
    ]);
    assert.throws(() => d.decide(cancel, awaiting), InvalidTransition);
  });

  it('an out-of-order step is rejected; a stale deadline and a late success while compensating change nothing', () => {
    const placed = run([start]);
    assert.throws(() => d.decide(done('payments', 'charge'), placed), InvalidTransition);
    const reserved = run([start, done('inventory', 'reserve')]);
    assert.deepEqual(d.decide({ type: 'DeadlineExceeded', state: 'ORDER_PLACED', now }, reserved), []);
    const late = run([start, { type: 'DeadlineExceeded', state: 'ORDER_PLACED', now }]);
    assert.equal(late.status, 'COMPENSATING');
    assert.deepEqual(d.decide(done('inventory', 'reserve'), late), []);
  });
});

describe('participation', () => {
  const fold = (cs: Parameters<typeof p.decide>[0][]): ParticipationState =>
    cs.reduce((s, c) => p.decide(c, s).reduce(p.evolve, s), p.initialState());
  const base = { orderId: 'o1', service: 'payments' as const, now };
  it('the first outcome of a step wins, and nothing starts after the withdrawal', () => {
    const s = fold([{ type: 'CompleteStep', ...base, step: 'charge', detail: {} }]);
    assert.deepEqual(
      p.decide({ type: 'RefuseStep', ...base, step: 'charge', reason: { type: 'x', message: 'y' } }, s),
      [],
    );
    const w = fold([{ type: 'Withdraw', ...base }]);
    assert.deepEqual(p.decide({ type: 'CompleteStep', ...base, step: 'charge', detail: {} }, w), []);
    assert.throws(() => p.decide({ type: 'MarkUndone', ...base }, p.initialState()), InvalidTransition);
  });
});
