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

/** The event store's own stream in every schema: each /health check appends one HealthChecked to it. */
export const SYSTEM_STREAMS: Record<string, readonly string[]> = { $health: ['HealthChecked'] };

export const isKnownEvent = (schema: Schema, streamId: string, type: string): boolean => {
  const system = Object.prototype.hasOwnProperty.call(SYSTEM_STREAMS, streamId)
    ? SYSTEM_STREAMS[streamId]
    : undefined;
  if (system) return system.includes(type);
  return (
    streamId.startsWith(KNOWN_EVENTS[schema].prefix) &&
    (KNOWN_EVENTS[schema].types as readonly string[]).includes(type)
  );
};

/** The id after a stream's prefix (`order-42` → `42`). */
export const idOf = (schema: Schema, streamId: string): string =>
  streamId.slice(KNOWN_EVENTS[schema].prefix.length);

/** A number from an event field, NaN when it is not a finite number. */
export const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);
export const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
