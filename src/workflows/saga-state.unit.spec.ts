import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SAGA_STATES, type SagaStateName } from './contracts';
import {
  ALLOWED_TRANSITIONS,
  CANCELLABLE_STATES,
  InvalidSagaTransition,
  SagaStateMachine,
  isTerminal,
  statusOf,
} from './saga-state';

const at = new Date('2026-01-01T00:00:00Z');
const walk = (...to: SagaStateName[]) => {
  const m = new SagaStateMachine();
  for (const s of to) m.transition(s, at);
  return m;
};

describe('saga state machine', () => {
  it('walks the happy path to COMPLETED and records every transition', () => {
    const m = walk(
      'ORDER_PLACED',
      'INVENTORY_RESERVED',
      'PAYMENT_COMPLETED',
      'AWAITING_SHIPMENT',
      'ORDER_SHIPPED',
      'COMPLETED',
    );
    assert.equal(m.state, 'COMPLETED');
    assert.equal(m.status, 'COMPLETED');
    assert.equal(m.transitions.length, 6);
    assert.deepEqual(m.transitions[0], { from: 'STARTED', to: 'ORDER_PLACED', at: at.toISOString() });
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
    assert.throws(() => walk('INVENTORY_RESERVED'), /STARTED → INVENTORY_RESERVED/);
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

  it('maps states to the coarse OrderStatus and allows cancellation only before shipping starts', () => {
    assert.equal(statusOf('PAYMENT_COMPLETED'), 'PENDING');
    assert.equal(statusOf('COMPENSATING'), 'PENDING');
    assert.equal(CANCELLABLE_STATES.includes('PAYMENT_COMPLETED'), true);
    for (const s of ['AWAITING_SHIPMENT', 'ORDER_SHIPPED', 'COMPLETED', 'COMPENSATING', 'FAILED'] as const) {
      assert.equal(CANCELLABLE_STATES.includes(s), false, s);
    }
  });

  it('every state has an entry in the transition table', () => {
    for (const s of SAGA_STATES) assert.ok(Array.isArray(ALLOWED_TRANSITIONS[s]), s);
  });
});
