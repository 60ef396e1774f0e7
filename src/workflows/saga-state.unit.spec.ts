import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OrderSagaInput, SAGA_STATES, type SagaStateName } from './contracts';
import {
  ALLOWED_TRANSITIONS,
  CANCELLABLE_STATES,
  InvalidSagaTransition,
  SagaState,
  SagaStateMachine,
  isForward,
  isTerminal,
  statusOf,
} from './saga-state';

const at = new Date('2026-01-01T00:00:00Z');
const walk = (...to: SagaStateName[]) => {
  const m = new SagaStateMachine();
  for (const s of to) m.transition(s, at);
  return m;
};

// The diagram of saga-state.ts, written out here on its own: the happy path, a way into compensation from
// every forward state before completion, and the three ends of compensation.
const HAPPY_PATH: SagaStateName[] = [
  'STARTED',
  'ORDER_PLACED',
  'INVENTORY_RESERVED',
  'PAYMENT_COMPLETED',
  'AWAITING_SHIPMENT',
  'ORDER_SHIPPED',
  'COMPLETED',
];
const EDGES = new Set<string>([
  ...HAPPY_PATH.slice(1).map((to, i) => `${HAPPY_PATH[i]} → ${to}`),
  ...HAPPY_PATH.slice(0, -1).map((from) => `${from} → COMPENSATING`),
  'COMPENSATING → FAILED',
  'COMPENSATING → CANCELLED',
  'COMPENSATING → COMPENSATION_BLOCKED',
  'COMPENSATION_BLOCKED → COMPENSATING',
]);
/** a way to reach each state from STARTED */
const PATH_TO: Record<SagaStateName, SagaStateName[]> = {
  STARTED: [],
  ORDER_PLACED: ['ORDER_PLACED'],
  INVENTORY_RESERVED: ['ORDER_PLACED', 'INVENTORY_RESERVED'],
  PAYMENT_COMPLETED: ['ORDER_PLACED', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED'],
  AWAITING_SHIPMENT: HAPPY_PATH.slice(1, 5),
  ORDER_SHIPPED: HAPPY_PATH.slice(1, 6),
  COMPLETED: HAPPY_PATH.slice(1),
  COMPENSATING: ['COMPENSATING'],
  COMPENSATION_BLOCKED: ['COMPENSATING', 'COMPENSATION_BLOCKED'],
  FAILED: ['COMPENSATING', 'FAILED'],
  CANCELLED: ['COMPENSATING', 'CANCELLED'],
};

describe('saga state machine', () => {
  it('walks the happy path to COMPLETED and records every transition with the time passed in', () => {
    const m = new SagaStateMachine();
    assert.equal(m.state, 'STARTED');
    HAPPY_PATH.slice(1).forEach((to, i) => m.transition(to, new Date(Date.UTC(2026, 0, 1, 0, i))));
    assert.equal(m.state, 'COMPLETED');
    assert.equal(m.status, 'COMPLETED');
    assert.deepEqual(
      m.transitions,
      HAPPY_PATH.slice(1).map((to, i) => ({
        from: HAPPY_PATH[i],
        to,
        at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      })),
    );
  });

  it('from every state, exactly the moves of the diagram are allowed', () => {
    for (const from of SAGA_STATES) {
      const m = walk(...PATH_TO[from]);
      assert.equal(m.state, from);
      for (const to of SAGA_STATES) {
        const allowed = EDGES.has(`${from} → ${to}`);
        assert.equal(m.canTransition(to), allowed, `${from} → ${to}`);
        if (!allowed) assert.throws(() => m.transition(to, at), InvalidSagaTransition, `${from} → ${to}`);
      }
    }
  });

  it('the transition table names only saga states', () => {
    for (const s of SAGA_STATES) {
      for (const to of ALLOWED_TRANSITIONS[s]) assert.ok(SAGA_STATES.includes(to), `${s} → ${to}`);
    }
  });

  it('compensates from any forward state before shipping into FAILED or CANCELLED', () => {
    for (const path of [
      [],
      ['ORDER_PLACED'],
      ['ORDER_PLACED', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED'],
    ] as SagaStateName[][]) {
      assert.equal(walk(...path, 'COMPENSATING', 'FAILED').status, 'FAILED');
      assert.equal(walk(...path, 'COMPENSATING', 'CANCELLED').status, 'CANCELLED');
    }
  });

  it('a blocked compensation can only go back to COMPENSATING', () => {
    const m = walk('ORDER_PLACED', 'COMPENSATING', 'COMPENSATION_BLOCKED');
    assert.equal(m.status, 'COMPENSATION_BLOCKED');
    assert.throws(() => m.transition('FAILED', at), InvalidSagaTransition);
    m.transition('COMPENSATING', at);
    m.transition('CANCELLED', at);
    assert.equal(m.status, 'CANCELLED');
  });

  it('rejects skipping steps, going backwards and leaving a terminal state', () => {
    assert.throws(() => walk('INVENTORY_RESERVED'), {
      name: 'InvalidSagaTransition',
      message: 'Invalid saga transition STARTED → INVENTORY_RESERVED',
      from: 'STARTED',
      to: 'INVENTORY_RESERVED',
    });
    assert.throws(() => walk('ORDER_PLACED', 'STARTED'), InvalidSagaTransition);
    assert.throws(() => walk('ORDER_PLACED', 'COMPENSATING', 'COMPLETED'), InvalidSagaTransition);
    for (const terminal of ['COMPLETED', 'FAILED', 'CANCELLED'] as const) {
      for (const to of SAGA_STATES) assert.equal(ALLOWED_TRANSITIONS[terminal].includes(to), false);
      assert.equal(isTerminal(terminal), true);
    }
  });

  it('a failed transition leaves the state unchanged', () => {
    const m = walk('ORDER_PLACED');
    assert.throws(() => m.transition('COMPLETED', at));
    assert.equal(m.state, 'ORDER_PLACED');
    assert.equal(m.transitions.length, 1);
  });

  it('maps the ends and a blocked compensation to their own OrderStatus and every other state to PENDING', () => {
    const own = ['COMPLETED', 'FAILED', 'CANCELLED', 'COMPENSATION_BLOCKED'];
    for (const s of SAGA_STATES) assert.equal(statusOf(s), own.includes(s) ? s : 'PENDING', s);
  });

  it('allows cancellation only before shipping starts', () => {
    const before = ['STARTED', 'ORDER_PLACED', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED'];
    for (const s of SAGA_STATES) assert.equal(CANCELLABLE_STATES.includes(s), before.includes(s), s);
  });

  it('only COMPLETED, FAILED and CANCELLED are terminal; only the happy path states are forward', () => {
    for (const s of SAGA_STATES) {
      assert.equal(isTerminal(s), ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s), s);
      assert.equal(isForward(s), HAPPY_PATH.includes(s), s);
    }
  });

  it('every state has an entry in the transition table', () => {
    for (const s of SAGA_STATES) assert.ok(Array.isArray(ALLOWED_TRANSITIONS[s]), s);
  });
});

const input: OrderSagaInput = {
  orderId: 'ord-1',
  customerId: 'cust-1',
  lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
  total: 2500,
  currency: 'USD',
  shippingAddress: { name: 'Ada', line1: '1 Way', city: 'London', postalCode: 'N1', country: 'GB' },
  placedAt: '2026-01-01T00:00:00.000Z',
  cancellationWindowMs: 0,
};
const sagaIn = (...to: SagaStateName[]) => {
  const s = new SagaState(input);
  for (const state of to) s.moveTo(state, at);
  return s;
};

describe('the saga state (what the saga remembers while it runs)', () => {
  it('reports a new coarse status only when it differs from the one shown (the search attribute follows it)', () => {
    const s = new SagaState(input);
    assert.equal(s.moveTo('ORDER_PLACED', at), undefined, 'still PENDING');
    assert.equal(s.moveTo('COMPENSATING', at), undefined);
    assert.equal(s.moveTo('COMPENSATION_BLOCKED', at), 'COMPENSATION_BLOCKED');
    assert.equal(s.moveTo('COMPENSATING', at), 'PENDING', 'back to PENDING while it unwinds again');
    assert.equal(s.moveTo('CANCELLED', at), 'CANCELLED');
    assert.throws(() => s.moveTo('COMPENSATING', at), InvalidSagaTransition);
  });

  it('accepts a first cancel only before shipping starts, and a repeat at any time', () => {
    for (const state of CANCELLABLE_STATES) {
      const path = ['ORDER_PLACED', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED'].slice(
        0,
        CANCELLABLE_STATES.indexOf(state),
      ) as SagaStateName[];
      assert.doesNotThrow(() => sagaIn(...path).checkCancellable(), state);
    }
    const shipping = sagaIn('ORDER_PLACED', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED', 'AWAITING_SHIPMENT');
    assert.throws(
      () => shipping.checkCancellable(),
      /ord-1 can no longer be cancelled \(state AWAITING_SHIPMENT\)/,
    );
    const cancelled = sagaIn('ORDER_PLACED');
    cancelled.acceptCancel({ reason: 'first' });
    cancelled.moveTo('COMPENSATING', at);
    cancelled.moveTo('CANCELLED', at);
    assert.doesNotThrow(() => cancelled.checkCancellable(), 'a repeat is answered with the same outcome');
  });

  it('keeps the first cancel; a cancel without a reason is "cancelled by the customer"', () => {
    const s = new SagaState(input);
    assert.equal(s.outcome, 'FAILED');
    assert.deepEqual(s.acceptCancel({ requestedBy: 'ada' }), {
      reason: 'cancelled by the customer',
      requestedBy: 'ada',
    });
    assert.equal(s.acceptCancel({ reason: 'second' }).reason, 'cancelled by the customer');
    assert.equal(s.outcome, 'CANCELLED');
  });

  it('rejects the order with the failure it compensates for, else where it stopped', () => {
    const s = sagaIn('ORDER_PLACED');
    s.currentStep = 'reserveStock';
    assert.deepEqual(s.rejection(), { outcome: 'FAILED', reason: 'unknown', step: 'reserveStock' });
    s.failure = { step: 'chargePayment', type: 'InsufficientFunds', message: 'no money' };
    assert.deepEqual(s.rejection(), { outcome: 'FAILED', reason: 'no money', step: 'chargePayment' });
  });

  it('a cancelOrder update can answer once the saga ended or parked in COMPENSATION_BLOCKED', () => {
    const s = sagaIn('ORDER_PLACED', 'COMPENSATING');
    assert.equal(s.settled, false);
    s.moveTo('COMPENSATION_BLOCKED', at);
    assert.equal(s.settled, true);
    s.moveTo('COMPENSATING', at);
    assert.equal(s.settled, false);
    s.moveTo('FAILED', at);
    assert.equal(s.settled, true);
  });

  it('the query view is a copy, with failure and blocked only when set, and the order it runs for', () => {
    const s = sagaIn('ORDER_PLACED');
    s.completedSteps.push('placeOrder');
    const before = s.view();
    assert.ok(!('failure' in before) && !('blocked' in before), 'neither is set yet');
    before.completedSteps.push('tampered');
    before.transitions.pop();
    assert.deepEqual(s.view().completedSteps, ['placeOrder']);
    assert.equal(s.view().transitions.length, 1);
    s.blocked = { compensation: 'refundPayment', error: 'down' };
    s.failure = { step: 'chargePayment', type: 'RetriesExhausted', message: 'down' };
    const { order, ...rest } = s.view();
    assert.deepEqual(order, {
      lines: input.lines,
      total: 2500,
      currency: 'USD',
      shippingAddress: input.shippingAddress,
      placedAt: input.placedAt,
    });
    assert.deepEqual(rest, {
      orderId: 'ord-1',
      customerId: 'cust-1',
      state: 'ORDER_PLACED',
      status: 'PENDING',
      completedSteps: ['placeOrder'],
      compensationsRun: [],
      failure: s.failure,
      blocked: s.blocked,
      transitions: [{ from: 'STARTED', to: 'ORDER_PLACED', at: at.toISOString() }],
    });
  });

  it('shows the coarse status of its state, from PENDING to the end', () => {
    const s = new SagaState(input);
    assert.equal(s.status, 'PENDING');
    s.moveTo('COMPENSATING', at);
    assert.equal(s.status, 'PENDING');
    s.moveTo('COMPENSATION_BLOCKED', at);
    assert.equal(s.status, 'COMPENSATION_BLOCKED');
    s.moveTo('COMPENSATING', at);
    s.moveTo('FAILED', at);
    assert.equal(s.status, 'FAILED');
  });

  it('a saga stopped before its first step is rejected as stopped at the start', () => {
    assert.deepEqual(new SagaState(input).rejection(), {
      outcome: 'FAILED',
      reason: 'unknown',
      step: 'start',
    });
  });

  it('the query view lists the undos that ran, as a copy', () => {
    const s = sagaIn('ORDER_PLACED', 'COMPENSATING');
    s.compensationsRun.push('releaseStock', 'rejectOrder');
    const view = s.view();
    assert.deepEqual(view.compensationsRun, ['releaseStock', 'rejectOrder']);
    view.compensationsRun.pop();
    assert.deepEqual(s.view().compensationsRun, ['releaseStock', 'rejectOrder']);
  });
});
