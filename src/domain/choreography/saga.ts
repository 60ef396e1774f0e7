/**
 * The state machine of one choreographed order, kept by the orders service (stream `saga-<orderId>` in the
 * orders schema) from the events it consumes: the same states as the orchestrated saga's (SAGA_STATES),
 *
 *   ORDER_PLACED ─reserve→ INVENTORY_RESERVED ─charge→ PAYMENT_COMPLETED ─window→ AWAITING_SHIPMENT
 *     ─ship→ ORDER_SHIPPED ─commit→ COMPLETED
 *   (a refusal, a missed deadline or a cancel before AWAITING_SHIPMENT) → COMPENSATING
 *     ─every participant undone→ FAILED | CANCELLED
 *
 * Nothing here calls a service: each transition is published, and the services react to it. A command that
 * would move the saga where it cannot go throws InvalidTransition (the reaction logs it and applies nothing);
 * one whose outcome already happened returns [].
 */
import type { SagaStateName } from '../order/progress';
import type { Decider } from '../decider';
import { InvalidTransition, assertNever } from '../errors';
import type { OrderPlaced } from '../order';
import { PARTICIPANTS, type Participant, type StepRefusal } from './participation';

export type SagaOrder = OrderPlaced['data'];

export interface ChoreographyTimings {
  /** the cancellation window after payment (ms); 0 = none */
  windowMs: number;
  /** how long each forward step but the shipment may take before the saga compensates (ms) */
  stepDeadlineMs: number;
  /** how long the shipment may keep retrying the carrier before it is refused (ms) */
  shipmentBudgetMs: number;
}

/**
 * Defaults when the gateway is not told otherwise: the orchestrated saga's shipment budget (15 min); an
 * order is stuck `stuckGraceMs` past its current step's deadline.
 */
export const DEFAULT_CHOREOGRAPHY_DEADLINES = {
  // the orchestrated forward steps' budget (15 attempts, about 5 minutes of backoff): a burst of 1,000 orders
  // on one SKU keeps the inventory service busy for about 2 minutes in either mode (full npm run chaos)
  stepDeadlineMs: 5 * 60_000,
  shipmentBudgetMs: 15 * 60_000,
  stuckGraceMs: 60_000,
} as const;

export interface SagaFailure {
  step: string;
  type: string;
  message: string;
}

export type ChoreographyStarted = {
  type: 'ChoreographyStarted';
  data: { orderId: string; order: SagaOrder; timings: ChoreographyTimings; at: string };
};
export type SagaTransitioned = {
  type: 'SagaTransitioned';
  data: {
    orderId: string;
    from: SagaStateName;
    to: SagaStateName;
    /** what moved it: `<service>/<step>`, `window`, `deadline`, `cancel`, `undone` */
    cause: string;
    order: SagaOrder;
    timings: ChoreographyTimings;
    failure?: SagaFailure;
    shipment?: { shipmentId: string; trackingNumber: string };
    at: string;
  };
};
export type SagaUndoObserved = {
  type: 'SagaUndoObserved';
  data: { orderId: string; service: Participant; at: string };
};
export type ChoreographyEvent = ChoreographyStarted | SagaTransitioned | SagaUndoObserved;

export type ChoreographyCommand =
  | { type: 'StartChoreography'; order: SagaOrder; timings: ChoreographyTimings; now: string }
  | {
      type: 'ObserveCompleted';
      service: Participant;
      step: string;
      detail: Record<string, unknown>;
      now: string;
    }
  | { type: 'ObserveRefused'; service: Participant; step: string; reason: StepRefusal; now: string }
  | { type: 'ObserveUndone'; service: Participant; now: string }
  | { type: 'WindowElapsed'; now: string }
  | { type: 'DeadlineExceeded'; state: SagaStateName; now: string }
  | { type: 'CancelChoreography'; reason: string; now: string };

export type ChoreographyState =
  | { status: 'NONE' }
  | {
      status: SagaStateName;
      orderId: string;
      order: SagaOrder;
      timings: ChoreographyTimings;
      failure?: SagaFailure;
      shipment?: { shipmentId: string; trackingNumber: string };
      undone: Participant[];
      completedSteps: string[];
      transitions: { from: SagaStateName; to: SagaStateName; at: string }[];
      /** the time of its newest event (a transition or an undo observed): its last progress */
      progressedAt: string;
    };
type Running = Exclude<ChoreographyState, { status: 'NONE' }>;

/** The forward moves: which participant's step moves the saga from which state to which. */
const FORWARD: Record<string, { from: SagaStateName; to: SagaStateName }> = {
  'inventory/reserve': { from: 'ORDER_PLACED', to: 'INVENTORY_RESERVED' },
  'payments/charge': { from: 'INVENTORY_RESERVED', to: 'PAYMENT_COMPLETED' },
  'shipping/createShipment': { from: 'AWAITING_SHIPMENT', to: 'ORDER_SHIPPED' },
  'inventory/commit': { from: 'ORDER_SHIPPED', to: 'COMPLETED' },
};
const ORDER: readonly SagaStateName[] = [
  'ORDER_PLACED',
  'INVENTORY_RESERVED',
  'PAYMENT_COMPLETED',
  'AWAITING_SHIPMENT',
  'ORDER_SHIPPED',
  'COMPLETED',
];

/** The states in which a customer's cancel is accepted (the orchestrated saga's CANCELLABLE_STATES). */
export const CHOREOGRAPHY_CANCELLABLE: readonly SagaStateName[] = [
  'ORDER_PLACED',
  'INVENTORY_RESERVED',
  'PAYMENT_COMPLETED',
];
/** The states a forward step can be refused in (before the parcel leaves). */
const COMPENSABLE: readonly SagaStateName[] = [...CHOREOGRAPHY_CANCELLABLE, 'AWAITING_SHIPMENT'];
/** The step a state waits for: what a missed deadline in it names. */
export const AWAITED_STEP: Partial<Record<SagaStateName, string>> = {
  ORDER_PLACED: 'reserveStock',
  INVENTORY_RESERVED: 'chargePayment',
  AWAITING_SHIPMENT: 'createShipment',
  ORDER_SHIPPED: 'commitStock',
};

export const choreographyStreamId = (orderId: string): string => `saga-${orderId}`;

/**
 * How long the saga may stay in a state without progress (ms): a forward step's deadline (the shipment: its
 * budget plus the step deadline; the paid order: its cancellation window first), an undo's step deadline
 * while compensating; undefined once it has ended. Past this plus a grace, the order is stuck: its deadline
 * message should have moved it, so something (a worker, the bus, an undo) is not working.
 */
export function progressDeadlineMs(state: SagaStateName, t: ChoreographyTimings): number | undefined {
  switch (state) {
    case 'AWAITING_SHIPMENT':
      return t.shipmentBudgetMs + t.stepDeadlineMs;
    case 'PAYMENT_COMPLETED':
      return t.windowMs + t.stepDeadlineMs;
    case 'COMPLETED':
    case 'FAILED':
    case 'CANCELLED':
      return undefined;
    default:
      return t.stepDeadlineMs;
  }
}
export const isTerminalSagaState = (s: SagaStateName): boolean =>
  s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED';

function move(
  s: Running,
  to: SagaStateName,
  cause: string,
  now: string,
  extra: Partial<SagaTransitioned['data']> = {},
): SagaTransitioned {
  return {
    type: 'SagaTransitioned',
    data: {
      orderId: s.orderId,
      from: s.status,
      to,
      cause,
      order: s.order,
      timings: s.timings,
      ...extra,
      at: now,
    },
  };
}

function compensate(s: Running, failure: SagaFailure, cause: string, now: string): ChoreographyEvent[] {
  if (s.status === 'COMPENSATING' || s.status === 'FAILED' || s.status === 'CANCELLED') return [];
  if (!COMPENSABLE.includes(s.status)) throw new InvalidTransition('ChoreographedSaga', s.status, cause);
  return [move(s, 'COMPENSATING', cause, now, { failure })];
}

function decideRunning(
  c: Exclude<ChoreographyCommand, { type: 'StartChoreography' }>,
  s: Running,
): ChoreographyEvent[] {
  switch (c.type) {
    case 'ObserveCompleted': {
      const key = `${c.service}/${c.step}`;
      const fwd = FORWARD[key];
      if (!fwd) throw new InvalidTransition('ChoreographedSaga', s.status, `complete ${key}`);
      if (s.status === 'COMPENSATING' || s.status === 'FAILED' || s.status === 'CANCELLED') return []; // late: the participant undoes it
      if (ORDER.indexOf(s.status) >= ORDER.indexOf(fwd.to)) return [];
      if (s.status !== fwd.from)
        throw new InvalidTransition('ChoreographedSaga', s.status, `complete ${key}`);
      const shipment =
        key === 'shipping/createShipment'
          ? (c.detail as { shipmentId: string; trackingNumber: string })
          : undefined;
      return [
        move(
          s,
          fwd.to,
          key,
          c.now,
          shipment
            ? { shipment: { shipmentId: shipment.shipmentId, trackingNumber: shipment.trackingNumber } }
            : {},
        ),
      ];
    }
    case 'ObserveRefused':
      return compensate(
        s,
        { step: stepName(c.service, c.step), ...c.reason },
        `${c.service}/${c.step}`,
        c.now,
      );
    case 'ObserveUndone': {
      if (s.status === 'FAILED' || s.status === 'CANCELLED' || s.undone.includes(c.service)) return [];
      if (s.status !== 'COMPENSATING')
        throw new InvalidTransition('ChoreographedSaga', s.status, `undone ${c.service}`);
      const events: ChoreographyEvent[] = [
        { type: 'SagaUndoObserved', data: { orderId: s.orderId, service: c.service, at: c.now } },
      ];
      const undone = new Set([...s.undone, c.service]);
      if (PARTICIPANTS.every((p) => undone.has(p))) {
        events.push(
          move(
            s,
            s.failure?.type === 'Cancelled' ? 'CANCELLED' : 'FAILED',
            'undone',
            c.now,
            s.failure ? { failure: s.failure } : {},
          ),
        );
      }
      return events;
    }
    case 'WindowElapsed':
      if (s.status === 'PAYMENT_COMPLETED') return [move(s, 'AWAITING_SHIPMENT', 'window', c.now)];
      if (
        ORDER.indexOf(s.status) > ORDER.indexOf('PAYMENT_COMPLETED') ||
        s.status === 'COMPENSATING' ||
        s.status === 'FAILED' ||
        s.status === 'CANCELLED'
      )
        return [];
      throw new InvalidTransition('ChoreographedSaga', s.status, c.type);
    case 'DeadlineExceeded':
      if (s.status !== c.state) return []; // it moved on in time
      return compensate(
        s,
        {
          step: AWAITED_STEP[s.status] ?? s.status,
          type: 'DeadlineExceeded',
          message: `no progress in ${s.status} before its deadline`,
        },
        'deadline',
        c.now,
      );
    case 'CancelChoreography':
      if (s.failure?.type === 'Cancelled') return [];
      if (!CHOREOGRAPHY_CANCELLABLE.includes(s.status))
        throw new InvalidTransition('ChoreographedSaga', s.status, 'cancel');
      return [
        move(s, 'COMPENSATING', 'cancel', c.now, {
          failure: {
            step: AWAITED_STEP[s.status] ?? 'cancellationWindow',
            type: 'Cancelled',
            message: c.reason,
          },
        }),
      ];
    default:
      return assertNever(c);
  }
}

/** The orchestrated saga's step names, so that a failure reads the same in both modes. */
function stepName(service: Participant, step: string): string {
  if (service === 'inventory') return step === 'reserve' ? 'reserveStock' : 'commitStock';
  if (service === 'payments') return 'chargePayment';
  return step;
}

function decide(c: ChoreographyCommand, s: ChoreographyState): ChoreographyEvent[] {
  if (c.type === 'StartChoreography') {
    if (s.status !== 'NONE') return [];
    return [
      {
        type: 'ChoreographyStarted',
        data: { orderId: c.order.orderId, order: c.order, timings: c.timings, at: c.now },
      },
    ];
  }
  if (s.status === 'NONE') throw new InvalidTransition('ChoreographedSaga', 'NONE', c.type);
  return decideRunning(c, s);
}

function evolve(s: ChoreographyState, e: ChoreographyEvent): ChoreographyState {
  if (e.type === 'ChoreographyStarted') {
    return {
      status: 'ORDER_PLACED',
      orderId: e.data.orderId,
      order: e.data.order,
      timings: e.data.timings,
      undone: [],
      completedSteps: ['placeOrder'],
      transitions: [],
      progressedAt: e.data.at,
    };
  }
  if (s.status === 'NONE') return s;
  switch (e.type) {
    case 'SagaTransitioned': {
      const step = e.data.cause.includes('/')
        ? stepName(e.data.cause.split('/')[0] as Participant, e.data.cause.split('/')[1]!)
        : undefined;
      return {
        ...s,
        status: e.data.to,
        ...(e.data.failure && { failure: e.data.failure }),
        ...(e.data.shipment && { shipment: e.data.shipment }),
        completedSteps: step && !e.data.failure ? [...s.completedSteps, step] : s.completedSteps,
        transitions: [...s.transitions, { from: e.data.from, to: e.data.to, at: e.data.at }],
        progressedAt: e.data.at,
      };
    }
    case 'SagaUndoObserved':
      return { ...s, undone: [...s.undone, e.data.service], progressedAt: e.data.at };
    default:
      return assertNever(e);
  }
}

export const choreographyDecider: Decider<ChoreographyCommand, ChoreographyEvent, ChoreographyState> = {
  initialState: () => ({ status: 'NONE' }),
  decide,
  evolve,
};
