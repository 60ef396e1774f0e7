/**
 * The saga's state: its explicit state machine (which moves are allowed, which states accept a cancel) and
 * `SagaState`, everything the saga remembers while it runs and what the `sagaState` query shows. Pure (no
 * Temporal APIs, time passed in), so both are unit-tested on their own. An invalid transition throws: inside
 * the workflow that fails the workflow *task* (a bug), which Temporal retries until the code is fixed,
 * instead of recording a wrong state.
 *
 *   STARTED → ORDER_PLACED → INVENTORY_RESERVED → PAYMENT_COMPLETED → AWAITING_SHIPMENT → ORDER_SHIPPED
 *     → COMPLETED
 *   any non-terminal forward state → COMPENSATING → FAILED | CANCELLED | COMPENSATION_BLOCKED
 *   COMPENSATION_BLOCKED → COMPENSATING (after the retryCompensation signal)
 *   COMPENSATING → ORDER_SHIPPED (the shipment's undo was refused: the parcel left; the order completes)
 *   ORDER_SHIPPED → COMPENSATION_BLOCKED → ORDER_SHIPPED (bookkeeping after shipping parked, then retried)
 */
import type {
  CancelOrderRequest,
  OrderSagaInput,
  OrderStatus,
  SagaFailure,
  SagaStateName,
  SagaStateView,
} from './contracts';

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
  ORDER_SHIPPED: ['COMPLETED', 'COMPENSATING', 'COMPENSATION_BLOCKED'],
  COMPENSATING: ['FAILED', 'CANCELLED', 'COMPENSATION_BLOCKED', 'ORDER_SHIPPED'],
  COMPENSATION_BLOCKED: ['COMPENSATING', 'ORDER_SHIPPED'],
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

/**
 * What the saga remembers while it runs: the machine, the step it entered last, the steps and undos that
 * finished, and what a cancel, a failure or a blocked undo left. The workflow side (saga-steps.ts) drives it;
 * the handlers (handlers.ts) read it and record a cancel or a retry request in it.
 */
export class SagaState {
  private readonly machine = new SagaStateMachine();
  /** the status last written to the OrderStatus search attribute */
  private shownStatus: OrderStatus = 'PENDING';
  /** the step the saga entered last: where a failure or a cancel is reported */
  currentStep = 'start';
  readonly completedSteps: string[] = [];
  /** undos that finished, in the order they ran (newest step first) */
  readonly compensationsRun: string[] = [];
  cancel: CancelOrderRequest | undefined;
  failure: SagaFailure | undefined;
  blocked: { compensation: string; error: string } | undefined;
  retryRequested = false;
  /** when a cancel through Temporal arrived (it stops the forward path; undos and bookkeeping still finish) */
  temporalCancelRequestedAt: string | undefined;

  constructor(private readonly input: OrderSagaInput) {}

  get orderId(): string {
    return this.input.orderId;
  }
  get state(): SagaStateName {
    return this.machine.state;
  }
  get status(): OrderStatus {
    return this.machine.status;
  }
  /** how the saga ends when it compensates */
  get outcome(): 'CANCELLED' | 'FAILED' {
    return this.cancel ? 'CANCELLED' : 'FAILED';
  }
  /** a cancelOrder update can answer: the saga ended, or it is parked and waits for an operator */
  get settled(): boolean {
    return isTerminal(this.state) || this.state === 'COMPENSATION_BLOCKED';
  }

  /** Moves the machine (or throws InvalidSagaTransition); returns the status if it is not the one shown. */
  moveTo(to: SagaStateName, at: Date): OrderStatus | undefined {
    this.machine.transition(to, at);
    if (this.machine.status === this.shownStatus) return undefined;
    this.shownStatus = this.machine.status;
    return this.shownStatus;
  }

  /** The cancelOrder validator: a repeat is accepted (same outcome); a first cancel only before shipping. */
  checkCancellable(): void {
    if (this.cancel) return;
    if (!CANCELLABLE_STATES.includes(this.state)) {
      throw new Error(`Order ${this.orderId} can no longer be cancelled (state ${this.state})`);
    }
  }

  /** Records a cancel; the first one wins. */
  acceptCancel(req: CancelOrderRequest): CancelOrderRequest {
    this.cancel ??= { reason: req.reason ?? 'cancelled by the customer', requestedBy: req.requestedBy };
    return this.cancel;
  }

  /** The arguments of rejectOrder (the undo of placing the order): how it ended, why and where. */
  rejection(): { outcome: 'CANCELLED' | 'FAILED'; reason: string; step: string } {
    return {
      outcome: this.outcome,
      reason: this.failure?.message ?? 'unknown',
      step: this.failure?.step ?? this.currentStep,
    };
  }

  view(): SagaStateView {
    const { orderId, customerId, lines, total, currency, shippingAddress, placedAt } = this.input;
    return {
      orderId,
      customerId,
      state: this.machine.state,
      status: this.machine.status,
      completedSteps: [...this.completedSteps],
      compensationsRun: [...this.compensationsRun],
      ...(this.failure ? { failure: this.failure } : {}),
      ...(this.blocked ? { blocked: this.blocked } : {}),
      ...(this.temporalCancelRequestedAt
        ? { temporalCancelRequestedAt: this.temporalCancelRequestedAt }
        : {}),
      transitions: [...this.machine.transitions],
      order: { lines, total, currency, shippingAddress, placedAt },
    };
  }
}
