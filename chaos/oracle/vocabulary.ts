/**
 * The oracle's own vocabulary of the logs: per schema, the stream prefix and the event types its folds
 * understand. Written here, not imported from src/domain: an event type the services start writing and the
 * oracle does not fold is a counted failure (unknownEvents) until the oracle learns its meaning.
 */
import type { Schema } from './snapshot';

export const KNOWN_EVENTS = {
  orders: {
    prefix: 'order-',
    types: [
      'OrderPlaced',
      'OrderInventoryReserved',
      'OrderPaid',
      'OrderShipped',
      'OrderCompleted',
      'OrderFailed',
      'OrderCancelled',
    ],
  },
  inventory: {
    prefix: 'item-',
    types: [
      'ItemDefined',
      'ItemUpdated',
      'ItemRestocked',
      'StockReserved',
      'StockReleased',
      'StockCommitted',
    ],
  },
  payments: {
    prefix: 'account-',
    types: ['FundsDeposited', 'FundsWithdrawn', 'AccountCharged', 'AccountRefunded'],
  },
  shipping: {
    prefix: 'shipment-',
    types: ['ShipmentCreated', 'ShipmentDispatched', 'ShipmentCancelled'],
  },
} as const satisfies Record<Schema, { prefix: string; types: readonly string[] }>;

/**
 * The streams of a choreographed order besides the services' own: the orders service's saga state machine
 * (`saga-<orderId>` in the orders schema) and each reacting service's record of its part
 * (`<service>-saga-<orderId>` in that service's schema). The folds of money and stock ignore them: what
 * moves money and stock is in the account and item streams, whichever mode ran the order.
 */
export const CHOREOGRAPHY_STREAMS = {
  saga: {
    schema: 'orders',
    prefix: 'saga-',
    types: ['ChoreographyStarted', 'SagaTransitioned', 'SagaUndoObserved'],
  },
  participation: {
    schemas: ['inventory', 'payments', 'shipping'],
    types: [
      'ChoreographyStepCompleted',
      'ChoreographyStepRefused',
      'ChoreographyWithdrawn',
      'ChoreographyStepUndone',
    ],
  },
} as const;

/** the choreographed saga's settled states (its last SagaTransitioned's `to`) */
export const CHOREOGRAPHY_TERMINAL_STATES: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

function isChoreographyEvent(schema: Schema, streamId: string, type: string): boolean {
  const { saga, participation } = CHOREOGRAPHY_STREAMS;
  if (schema === saga.schema && streamId.startsWith(saga.prefix))
    return (saga.types as readonly string[]).includes(type);
  return (
    (participation.schemas as readonly string[]).includes(schema) &&
    streamId.startsWith(`${schema}-saga-`) &&
    (participation.types as readonly string[]).includes(type)
  );
}

/** The event store's own stream in every schema: each /health check appends one HealthChecked to it. */
export const SYSTEM_STREAMS: Record<string, readonly string[]> = { $health: ['HealthChecked'] };

export const isKnownEvent = (schema: Schema, streamId: string, type: string): boolean => {
  const system = Object.prototype.hasOwnProperty.call(SYSTEM_STREAMS, streamId)
    ? SYSTEM_STREAMS[streamId]
    : undefined;
  if (system) return system.includes(type);
  if (isChoreographyEvent(schema, streamId, type)) return true;
  return (
    streamId.startsWith(KNOWN_EVENTS[schema].prefix) &&
    (KNOWN_EVENTS[schema].types as readonly string[]).includes(type)
  );
};

/** The order a stream is about, when it is one order's: `order-`, `saga-`, `<service>-saga-` streams. */
export function orderOfStream(schema: Schema, streamId: string): string | undefined {
  for (const prefix of ['order-', 'saga-', `${schema}-saga-`])
    if (streamId.startsWith(prefix) && (prefix !== 'order-' || schema === 'orders'))
      return streamId.slice(prefix.length);
  return undefined;
}

/** The id after a stream's prefix (`order-42` → `42`). */
export const idOf = (schema: Schema, streamId: string): string =>
  streamId.slice(KNOWN_EVENTS[schema].prefix.length);

/** A number from an event field, NaN when it is not a finite number. */
export const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);
export const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
