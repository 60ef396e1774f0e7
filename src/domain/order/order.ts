/**
 * Order aggregate (stream `order-<orderId>`): a pure decider over an explicit state machine
 *
 *   (none) ─Place→ PLACED ─→ INVENTORY_RESERVED ─→ PAID ─→ SHIPPED ─→ COMPLETED
 *                    │              │               │        │
 *                    └──────────────┴───────────────┴────────┴─→ FAILED {reason, step}
 *                    └──────────────┴───────────────┴─────────→ CANCELLED {reason}   (not after shipping)
 *
 * A command whose outcome already happened returns [] (idempotent repeat), and so do Fail/Cancel of an
 * order that was never placed (a compensation with nothing to undo); any other move out of its place, or
 * after a terminal state, throws InvalidTransition.
 */
import type { Decider } from '../decider';
import {
  InvalidAmount,
  InvalidCommand,
  InvalidTransition,
  assertNever,
  assertNonNegativeInt,
  assertPositiveInt,
} from '../errors';

export interface OrderLineData {
  sku: string;
  quantity: number;
  /** cents */
  unitPrice: number;
}

export interface OrderAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export const ORDER_STATUSES = [
  'NONE',
  'PLACED',
  'INVENTORY_RESERVED',
  'PAID',
  'SHIPPED',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
] as const;
export type OrderAggregateStatus = (typeof ORDER_STATUSES)[number];

/** Progress rank of the happy path; terminal failure states are handled separately. */
const RANK: Record<OrderAggregateStatus, number> = {
  NONE: 0,
  PLACED: 1,
  INVENTORY_RESERVED: 2,
  PAID: 3,
  SHIPPED: 4,
  COMPLETED: 5,
  FAILED: -1,
  CANCELLED: -1,
};

// ---- events ---------------------------------------------------------------------------------------
export type OrderPlaced = {
  type: 'OrderPlaced';
  data: {
    orderId: string;
    customerId: string;
    lines: OrderLineData[];
    total: number;
    currency: 'USD';
    shippingAddress: OrderAddress;
    placedAt: string;
  };
};
export type OrderInventoryReserved = {
  type: 'OrderInventoryReserved';
  data: { orderId: string; at: string };
};
export type OrderPaid = { type: 'OrderPaid'; data: { orderId: string; amount: number; at: string } };
export type OrderShipped = {
  type: 'OrderShipped';
  data: { orderId: string; shipmentId: string; trackingNumber: string; at: string };
};
export type OrderCompleted = { type: 'OrderCompleted'; data: { orderId: string; at: string } };
export type OrderFailed = {
  type: 'OrderFailed';
  data: { orderId: string; reason: string; step: string; at: string };
};
export type OrderCancelled = {
  type: 'OrderCancelled';
  data: { orderId: string; reason: string; at: string };
};

export type OrderEvent =
  | OrderPlaced
  | OrderInventoryReserved
  | OrderPaid
  | OrderShipped
  | OrderCompleted
  | OrderFailed
  | OrderCancelled;
export type OrderEventType = OrderEvent['type'];

// ---- commands -------------------------------------------------------------------------------------
export type PlaceOrder = {
  type: 'PlaceOrder';
  orderId: string;
  customerId: string;
  lines: OrderLineData[];
  total: number;
  currency: 'USD';
  shippingAddress: OrderAddress;
  /** ISO time the order was accepted */
  now: string;
};
export type MarkInventoryReserved = { type: 'MarkInventoryReserved'; now: string };
export type MarkPaid = { type: 'MarkPaid'; amount: number; now: string };
export type MarkShipped = { type: 'MarkShipped'; shipmentId: string; trackingNumber: string; now: string };
export type CompleteOrder = { type: 'CompleteOrder'; now: string };
export type FailOrder = { type: 'FailOrder'; reason: string; step: string; now: string };
export type CancelOrder = { type: 'CancelOrder'; reason: string; now: string };

export type OrderCommand =
  PlaceOrder | MarkInventoryReserved | MarkPaid | MarkShipped | CompleteOrder | FailOrder | CancelOrder;

// ---- state ----------------------------------------------------------------------------------------
/** JSON-serialisable (snapshots store it as JSON). */
export type OrderState =
  | { status: 'NONE' }
  | {
      status: Exclude<OrderAggregateStatus, 'NONE'>;
      orderId: string;
      customerId: string;
      lines: OrderLineData[];
      total: number;
      currency: 'USD';
      shippingAddress: OrderAddress;
      placedAt: string;
      updatedAt: string;
      paidAmount?: number;
      shipmentId?: string;
      trackingNumber?: string;
      failure?: { reason: string; step: string };
      cancellationReason?: string;
    };

export const initialOrderState = (): OrderState => ({ status: 'NONE' });

export const isTerminalOrderStatus = (s: OrderAggregateStatus): boolean =>
  s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED';

function validatePlace(cmd: PlaceOrder): void {
  if (!cmd.orderId) throw new InvalidCommand('orderId is required');
  if (!cmd.customerId) throw new InvalidCommand('customerId is required');
  if (cmd.lines.length === 0) throw new InvalidCommand('an order needs at least one line');
  const skus = new Set<string>();
  let sum = 0;
  for (const [i, line] of cmd.lines.entries()) {
    if (!line.sku) throw new InvalidCommand(`lines[${i}].sku is required`);
    if (skus.has(line.sku)) throw new InvalidCommand(`duplicate SKU ${line.sku}`);
    skus.add(line.sku);
    assertPositiveInt(`lines[${i}].quantity`, line.quantity);
    assertNonNegativeInt(`lines[${i}].unitPrice`, line.unitPrice);
    sum += line.quantity * line.unitPrice;
  }
  assertNonNegativeInt('total', cmd.total);
  if (sum !== cmd.total) throw new InvalidAmount('total', cmd.total, `the sum of the lines (${sum})`);
  if (cmd.currency !== 'USD') throw new InvalidCommand(`unsupported currency ${String(cmd.currency)}`);
}

/**
 * Moves along the happy path: [] if the order is already at or past `target`, InvalidTransition unless
 * it is exactly one step before it.
 */
function advance(
  state: OrderState,
  command: OrderCommand['type'],
  target: 'INVENTORY_RESERVED' | 'PAID' | 'SHIPPED' | 'COMPLETED',
): 'already' | 'go' {
  const rank = RANK[state.status];
  if (rank >= RANK[target]) return 'already';
  if (rank === RANK[target] - 1) return 'go';
  throw new InvalidTransition('Order', state.status, command);
}

export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  if (command.type === 'PlaceOrder') {
    if (state.status !== 'NONE') return []; // placed before: a retried placement
    validatePlace(command);
    return [
      {
        type: 'OrderPlaced',
        data: {
          orderId: command.orderId,
          customerId: command.customerId,
          lines: command.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })),
          total: command.total,
          currency: command.currency,
          shippingAddress: { ...command.shippingAddress },
          placedAt: command.now,
        },
      },
    ];
  }
  if (state.status === 'NONE') {
    // failing/cancelling an order that was never placed is a compensation with nothing to undo
    if (command.type === 'FailOrder' || command.type === 'CancelOrder') return [];
    throw new InvalidTransition('Order', state.status, command.type);
  }
  const orderId = state.orderId;
  switch (command.type) {
    case 'MarkInventoryReserved':
      if (advance(state, command.type, 'INVENTORY_RESERVED') === 'already') return [];
      return [{ type: 'OrderInventoryReserved', data: { orderId, at: command.now } }];
    case 'MarkPaid':
      assertPositiveInt('amount', command.amount);
      if (advance(state, command.type, 'PAID') === 'already') return [];
      if (command.amount !== state.total) {
        throw new InvalidAmount('amount', command.amount, `the order total (${state.total})`);
      }
      return [{ type: 'OrderPaid', data: { orderId, amount: command.amount, at: command.now } }];
    case 'MarkShipped':
      if (advance(state, command.type, 'SHIPPED') === 'already') return [];
      if (!command.shipmentId || !command.trackingNumber) {
        throw new InvalidCommand('shipmentId and trackingNumber are required');
      }
      return [
        {
          type: 'OrderShipped',
          data: {
            orderId,
            shipmentId: command.shipmentId,
            trackingNumber: command.trackingNumber,
            at: command.now,
          },
        },
      ];
    case 'CompleteOrder':
      if (advance(state, command.type, 'COMPLETED') === 'already') return [];
      return [{ type: 'OrderCompleted', data: { orderId, at: command.now } }];
    case 'FailOrder':
      if (state.status === 'FAILED') return [];
      if (isTerminalOrderStatus(state.status)) {
        throw new InvalidTransition('Order', state.status, command.type);
      }
      return [
        {
          type: 'OrderFailed',
          data: { orderId, reason: command.reason, step: command.step, at: command.now },
        },
      ];
    case 'CancelOrder':
      if (state.status === 'CANCELLED') return [];
      // a shipped order cannot be cancelled; terminal states are final
      if (state.status === 'SHIPPED' || isTerminalOrderStatus(state.status)) {
        throw new InvalidTransition('Order', state.status, command.type);
      }
      return [{ type: 'OrderCancelled', data: { orderId, reason: command.reason, at: command.now } }];
    default:
      return assertNever(command);
  }
}

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') {
    const d = event.data;
    return {
      status: 'PLACED',
      orderId: d.orderId,
      customerId: d.customerId,
      lines: d.lines,
      total: d.total,
      currency: d.currency,
      shippingAddress: d.shippingAddress,
      placedAt: d.placedAt,
      updatedAt: d.placedAt,
    };
  }
  if (state.status === 'NONE') return state; // an event without a placement cannot be applied
  switch (event.type) {
    case 'OrderInventoryReserved':
      return { ...state, status: 'INVENTORY_RESERVED', updatedAt: event.data.at };
    case 'OrderPaid':
      return { ...state, status: 'PAID', paidAmount: event.data.amount, updatedAt: event.data.at };
    case 'OrderShipped':
      return {
        ...state,
        status: 'SHIPPED',
        shipmentId: event.data.shipmentId,
        trackingNumber: event.data.trackingNumber,
        updatedAt: event.data.at,
      };
    case 'OrderCompleted':
      return { ...state, status: 'COMPLETED', updatedAt: event.data.at };
    case 'OrderFailed':
      return {
        ...state,
        status: 'FAILED',
        failure: { reason: event.data.reason, step: event.data.step },
        updatedAt: event.data.at,
      };
    case 'OrderCancelled':
      return {
        ...state,
        status: 'CANCELLED',
        cancellationReason: event.data.reason,
        updatedAt: event.data.at,
      };
    default:
      return assertNever(event);
  }
}

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  initialState: initialOrderState,
  decide,
  evolve,
};

export const orderStreamId = (orderId: string): string => `order-${orderId}`;
