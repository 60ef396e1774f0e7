/**
 * Shipping service (schema `shipping`, streams `shipment-<orderId>`): one shipment per order, created only
 * for a supported destination, dispatched with the carrier's tracking number, or cancelled (refused once
 * dispatched; a no-op when there is nothing to cancel).
 */
import {
  shipmentDecider,
  shipmentStreamId,
  type ShipmentAddress,
  type ShipmentLine,
  type ShipmentState,
  type ShipmentStatus,
} from '../../domain/shipment';
import {
  commandOptions,
  resolveDeps,
  toEventRecord,
  type CommandMeta,
  type EventRecord,
  type ServiceDeps,
} from '../common';
import { handleCommand } from '../../eventstore/command';

export interface ShipmentView {
  shipmentId: string;
  orderId: string;
  status: Exclude<ShipmentStatus, 'NONE'>;
  address: ShipmentAddress;
  lines: ShipmentLine[];
  trackingNumber?: string;
  cancellationReason?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

const toView = (state: ShipmentState, version: number): ShipmentView | undefined => {
  if (state.status === 'NONE') return undefined;
  const { status, shipmentId, orderId, address, lines, createdAt, updatedAt } = state;
  return {
    shipmentId,
    orderId,
    status,
    address,
    lines,
    ...(state.trackingNumber !== undefined ? { trackingNumber: state.trackingNumber } : {}),
    ...(state.cancellationReason !== undefined ? { cancellationReason: state.cancellationReason } : {}),
    createdAt,
    updatedAt,
    version,
  };
};

export function createShippingService(deps: ServiceDeps & { supportedCountries: readonly string[] }) {
  const { store, now } = resolveDeps(deps, 'shipping');
  const supportedCountries = deps.supportedCountries;

  return {
    /** UnsupportedCountry for a destination outside the supported list; repeat = no-op (returns the shipment) */
    async create(
      orderId: string,
      address: ShipmentAddress,
      lines: ShipmentLine[],
      meta: CommandMeta = {},
    ): Promise<ShipmentView> {
      const r = await handleCommand(
        store,
        shipmentStreamId(orderId),
        shipmentDecider,
        { type: 'CreateShipment', orderId, address, lines, supportedCountries, now: now() },
        commandOptions({ correlationId: orderId, ...meta }, `order-${orderId}/ship`),
      );
      return toView(r.state, r.version)!;
    },

    /** records the carrier's tracking number; InvalidTransition when not created or cancelled; repeat = no-op */
    async dispatch(orderId: string, trackingNumber: string, meta: CommandMeta = {}): Promise<ShipmentView> {
      const r = await handleCommand(
        store,
        shipmentStreamId(orderId),
        shipmentDecider,
        { type: 'DispatchShipment', trackingNumber, now: now() },
        commandOptions({ correlationId: orderId, ...meta }, `order-${orderId}/dispatch`),
      );
      return toView(r.state, r.version)!;
    },

    /** no-op when there is no shipment or it is already cancelled; ShipmentAlreadyDispatched once dispatched */
    async cancel(
      orderId: string,
      reason: string,
      meta: CommandMeta = {},
    ): Promise<{ cancelled: boolean; shipment: ShipmentView | undefined }> {
      const r = await handleCommand(
        store,
        shipmentStreamId(orderId),
        shipmentDecider,
        { type: 'CancelShipment', reason, now: now() },
        commandOptions({ correlationId: orderId, ...meta }, `order-${orderId}/cancel-shipment`),
      );
      return { cancelled: r.state.status === 'CANCELLED', shipment: toView(r.state, r.version) };
    },

    async getShipment(orderId: string, opts: { asOf?: Date } = {}): Promise<ShipmentView | undefined> {
      const r = await store.aggregateStream(
        shipmentStreamId(orderId),
        shipmentDecider,
        opts.asOf ? { asOf: opts.asOf } : {},
      );
      return toView(r.state, r.version);
    },

    async getShipmentEvents(orderId: string): Promise<EventRecord[]> {
      return (await store.readStream(shipmentStreamId(orderId))).map(toEventRecord);
    },
  };
}

export type ShippingService = ReturnType<typeof createShippingService>;
