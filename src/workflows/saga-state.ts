/**
 * The saga's explicit state machine. Pure (no Temporal APIs), so it is unit-tested on its own and safe in the
 * workflow sandbox. An invalid transition throws: inside the workflow that fails the workflow *task*
 * (a bug), which Temporal retries until the code is fixed, instead of recording a wrong state.
 *
 *   STARTED → ORDER_PLACED → INVENTORY_RESERVED → PAYMENT_COMPLETED → AWAITING_SHIPMENT → ORDER_SHIPPED
 *     → COMPLETED
 *   any non-terminal forward state → COMPENSATING → FAILED | CANCELLED | COMPENSATION_BLOCKED
 *   COMPENSATION_BLOCKED → COMPENSATING (after the retryCompensation signal)
 */
import type { OrderStatus, SagaStateName } from './contracts';

const FORWARD: readonly SagaStateName[] = [
  'STARTED',
  'ORDER_PLACED',
  'INVENTORY_RESERVED',
  'PAYMENT_COMPLETED',
  'AWAITING_SHIPMENT',
  'ORDER_SHIPPED',
  'COMPLETED',
];

export const ALLOWED_TRANSITIONS: Readonly<Record<SagaStateName, readonly SagaStateName[]>> = {
  STARTED: ['ORDER_PLACED', 'COMPENSATING'],
  ORDER_PLACED: ['INVENTORY_RESERVED', 'COMPENSATING'],
  INVENTORY_RESERVED: ['PAYMENT_COMPLETED', 'COMPENSATING'],
  PAYMENT_COMPLETED: ['AWAITING_SHIPMENT', 'COMPENSATING'],
  AWAITING_SHIPMENT: ['ORDER_SHIPPED', 'COMPENSATING'],
  ORDER_SHIPPED: ['COMPLETED', 'COMPENSATING'],
  COMPENSATING: ['FAILED', 'CANCELLED', 'COMPENSATION_BLOCKED'],
  COMPENSATION_BLOCKED: ['COMPENSATING'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export const TERMINAL_STATES: readonly SagaStateName[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/**
 * States in which the cancelOrder update is accepted: the shipping step has not begun and nothing ended.
 * From AWAITING_SHIPMENT on the parcel may already be with the carrier (a dispatched shipment cannot be
 * cancelled), so a cancellation is rejected by the update's validator.
 */
export const CANCELLABLE_STATES: readonly SagaStateName[] = [
  'STARTED',
  'ORDER_PLACED',
  'INVENTORY_RESERVED',
  'PAYMENT_COMPLETED',
];

export class InvalidSagaTransition extends Error {
  override name = 'InvalidSagaTransition';
  constructor(
    readonly from: SagaStateName,
    readonly to: SagaStateName,
  ) {
    super(`Invalid saga transition ${from} → ${to}`);
  }
}

export function statusOf(state: SagaStateName): OrderStatus {
  switch (state) {
    case 'COMPLETED':
    case 'FAILED':
    case 'CANCELLED':
    case 'COMPENSATION_BLOCKED':
      return state;
    default:
      return 'PENDING';
  }
}

export const isTerminal = (state: SagaStateName): boolean => TERMINAL_STATES.includes(state);
export const isForward = (state: SagaStateName): boolean => FORWARD.includes(state);

export interface Transition {
  from: SagaStateName;
  to: SagaStateName;
  at: string;
}

export class SagaStateMachine {
  private current: SagaStateName = 'STARTED';
  readonly transitions: Transition[] = [];

  get state(): SagaStateName {
    return this.current;
  }

  get status(): OrderStatus {
    return statusOf(this.current);
  }

  canTransition(to: SagaStateName): boolean {
    return ALLOWED_TRANSITIONS[this.current].includes(to);
  }

  /** Moves to `to` or throws InvalidSagaTransition. `at` is passed in (workflow time), never read here. */
  transition(to: SagaStateName, at: Date): void {
    if (!this.canTransition(to)) throw new InvalidSagaTransition(this.current, to);
    this.transitions.push({ from: this.current, to, at: at.toISOString() });
    this.current = to;
  }
}
