/**
 * Shipment aggregate (stream `shipment-<orderId>`): NONE ─Create→ CREATED ─Dispatch→ DISPATCHED, or
 * CREATED ─Cancel→ CANCELLED. Created only for an address in a supported country. Cancel is a no-op when
 * there is nothing to cancel and is refused (ShipmentAlreadyDispatched) once the parcel has left.
 */
import type { Decider } from '../decider';
import {
  InvalidCommand,
  InvalidTransition,
  ShipmentAlreadyDispatched,
  UnsupportedCountry,
  assertNever,
  assertPositiveInt,
} from '../errors';

export interface ShipmentAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2 */
  country: string;
}
export interface ShipmentLine {
  sku: string;
  quantity: number;
}

// ---- events ---------------------------------------------------------------------------------------
export type ShipmentCreated = {
  type: 'ShipmentCreated';
  data: { shipmentId: string; orderId: string; address: ShipmentAddress; lines: ShipmentLine[]; at: string };
};
export type ShipmentDispatched = {
  type: 'ShipmentDispatched';
  data: { shipmentId: string; orderId: string; trackingNumber: string; at: string };
};
export type ShipmentCancelled = {
  type: 'ShipmentCancelled';
  data: { shipmentId: string; orderId: string; reason: string; at: string };
};
export type ShipmentEvent = ShipmentCreated | ShipmentDispatched | ShipmentCancelled;
export type ShipmentEventType = ShipmentEvent['type'];

// ---- commands -------------------------------------------------------------------------------------
export type CreateShipment = {
  type: 'CreateShipment';
  orderId: string;
  address: ShipmentAddress;
  lines: ShipmentLine[];
  supportedCountries: readonly string[];
  now: string;
};
export type DispatchShipment = { type: 'DispatchShipment'; trackingNumber: string; now: string };
export type CancelShipment = { type: 'CancelShipment'; reason: string; now: string };
export type ShipmentCommand = CreateShipment | DispatchShipment | CancelShipment;

// ---- state (JSON-serialisable) ---------------------------------------------------------------------
export type ShipmentStatus = 'NONE' | 'CREATED' | 'DISPATCHED' | 'CANCELLED';
export type ShipmentState =
  | { status: 'NONE' }
  | {
      status: Exclude<ShipmentStatus, 'NONE'>;
      shipmentId: string;
      orderId: string;
      address: ShipmentAddress;
      lines: ShipmentLine[];
      createdAt: string;
      updatedAt: string;
      trackingNumber?: string;
      cancellationReason?: string;
    };

export const initialShipmentState = (): ShipmentState => ({ status: 'NONE' });

/** The shipment id is derived from the order (one shipment per order). */
export const shipmentIdFor = (orderId: string): string => `shp-${orderId}`;

export function decide(command: ShipmentCommand, state: ShipmentState): ShipmentEvent[] {
  switch (command.type) {
    case 'CreateShipment': {
      if (state.status !== 'NONE') return []; // one shipment per order: a retry changes nothing
      if (!command.orderId) throw new InvalidCommand('orderId is required');
      if (command.lines.length === 0) throw new InvalidCommand('a shipment needs at least one line');
      command.lines.forEach((l, i) => assertPositiveInt(`lines[${i}].quantity`, l.quantity));
      const country = (command.address.country ?? '').toUpperCase();
      const supported = command.supportedCountries.map((c) => c.toUpperCase());
      if (!supported.includes(country)) throw new UnsupportedCountry(country, supported);
      return [
        {
          type: 'ShipmentCreated',
          data: {
            shipmentId: shipmentIdFor(command.orderId),
            orderId: command.orderId,
            address: { ...command.address },
            lines: command.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
            at: command.now,
          },
        },
      ];
    }
    case 'DispatchShipment':
      if (state.status === 'DISPATCHED') return [];
      if (state.status !== 'CREATED') throw new InvalidTransition('Shipment', state.status, command.type);
      if (!command.trackingNumber) throw new InvalidCommand('trackingNumber is required');
      return [
        {
          type: 'ShipmentDispatched',
          data: {
            shipmentId: state.shipmentId,
            orderId: state.orderId,
            trackingNumber: command.trackingNumber,
            at: command.now,
          },
        },
      ];
    case 'CancelShipment':
      if (state.status === 'NONE' || state.status === 'CANCELLED') return []; // nothing to undo
      if (state.status === 'DISPATCHED') throw new ShipmentAlreadyDispatched(state.orderId);
      return [
        {
          type: 'ShipmentCancelled',
          data: {
            shipmentId: state.shipmentId,
            orderId: state.orderId,
            reason: command.reason,
            at: command.now,
          },
        },
      ];
    default:
      return assertNever(command);
  }
}

export function evolve(state: ShipmentState, event: ShipmentEvent): ShipmentState {
  if (event.type === 'ShipmentCreated') {
    const d = event.data;
    return {
      status: 'CREATED',
      shipmentId: d.shipmentId,
      orderId: d.orderId,
      address: d.address,
      lines: d.lines,
      createdAt: d.at,
      updatedAt: d.at,
    };
  }
  if (state.status === 'NONE') return state;
  switch (event.type) {
    case 'ShipmentDispatched':
      return {
        ...state,
        status: 'DISPATCHED',
        trackingNumber: event.data.trackingNumber,
        updatedAt: event.data.at,
      };
    case 'ShipmentCancelled':
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

export const shipmentDecider: Decider<ShipmentCommand, ShipmentEvent, ShipmentState> = {
  initialState: initialShipmentState,
  decide,
  evolve,
};

export const shipmentStreamId = (orderId: string): string => `shipment-${orderId}`;
