/**
 * Shipping service (schema `shipping`, streams `shipment-<orderId>`): one shipment per order, created only for
 * a supported destination, booked with the carrier and dispatched with its tracking number, or cancelled.
 * Each command is one call of the event store's command handler; src/services/README.md.
 */
import {
  shipmentDecider,
  shipmentStreamId,
  type CancelShipment,
  type CreateShipment,
  type DispatchShipment,
  type ShipmentLine,
  type ShipmentState,
  type ShipmentCommand,
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
import type { CarrierClient } from '../../carrier/client';
import { UnsupportedCountry } from '../../domain/errors';
import { orderStepKey } from '../../domain/ids';
import { destinationOf } from '../../domain/order/shape';
import { handleCommand } from '../../eventstore/command';

/** A command's own fields (the service adds `type`, the time and the supported countries), for one order. */
type Args<C extends ShipmentCommand> = Omit<C, 'type' | 'now' | 'supportedCountries'> & { orderId: string };

export interface ShipmentView {
  shipmentId: string;
  orderId: string;
  status: Exclude<ShipmentStatus, 'NONE'>;
  address: CreateShipment['address'];
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

export function createShippingService(
  deps: ServiceDeps & { supportedCountries: readonly string[]; carrier?: CarrierClient },
) {
  const { store, now } = resolveDeps(deps, 'shipping');
  const { supportedCountries, carrier } = deps;
  const opts = (orderId: string, step: string, meta: CommandMeta) =>
    commandOptions({ correlationId: orderId, ...meta }, orderStepKey(orderId, step));

  const service = {
    /** UnsupportedCountry unless the destination is in the supported list */
    validateDestination({ country }: { country: string }): Promise<void> {
      if (supportedCountries.includes(country)) return Promise.resolve();
      return Promise.reject(new UnsupportedCountry(country, supportedCountries));
    },

    /** UnsupportedCountry for a destination outside the supported list; repeat = no-op (returns the shipment) */
    async create(
      { orderId, address, lines }: Args<CreateShipment>,
      meta: CommandMeta = {},
    ): Promise<ShipmentView> {
      const r = await handleCommand(
        store,
        shipmentStreamId(orderId),
        shipmentDecider,
        {
          type: 'CreateShipment',
          orderId,
          address,
          lines: lines.map(({ sku, quantity }) => ({ sku, quantity })),
          supportedCountries,
          now: now(),
        },
        opts(orderId, 'ship', meta),
      );
      return toView(r.state, r.version)!;
    },

    /** records the carrier's tracking number; InvalidTransition when not created or cancelled; repeat = no-op */
    async dispatch(
      { orderId, trackingNumber }: Args<DispatchShipment>,
      meta: CommandMeta = {},
    ): Promise<ShipmentView> {
      const r = await handleCommand(
        store,
        shipmentStreamId(orderId),
        shipmentDecider,
        { type: 'DispatchShipment', trackingNumber, now: now() },
        opts(orderId, 'dispatch', meta),
      );
      return toView(r.state, r.version)!;
    },

    /**
     * create, book with the carrier (idempotent by the step key: a retry gets the same tracking number), and
     * dispatch; a shipment already dispatched is answered as it is. Carrier errors propagate (CarrierFailed,
     * CarrierRejected, BrokenCircuitError).
     */
    async ship(
      shipment: Args<CreateShipment>,
      meta: CommandMeta = {},
    ): Promise<{ shipmentId: string; trackingNumber: string }> {
      if (!carrier) throw new Error('the shipping service needs a carrier client to ship');
      const { orderId, address } = shipment;
      const created = await service.create(shipment, meta);
      const { shipmentId } = created;
      if (created.trackingNumber) return { shipmentId, trackingNumber: created.trackingNumber };
      const key = meta.idempotencyKey ?? orderStepKey(orderId, 'ship');
      const booking = { key, orderId, ...destinationOf(address), parcels: 1 };
      const { trackingNumber } = await carrier.book(booking);
      await service.dispatch({ orderId, trackingNumber }, meta);
      return { shipmentId, trackingNumber };
    },

    /** no-op when there is no shipment or it is already cancelled; ShipmentAlreadyDispatched once dispatched */
    async cancel(
      { orderId, reason }: Args<CancelShipment>,
      meta: CommandMeta = {},
    ): Promise<{ cancelled: boolean; shipment: ShipmentView | undefined }> {
      const r = await handleCommand(
        store,
        shipmentStreamId(orderId),
        shipmentDecider,
        { type: 'CancelShipment', reason, now: now() },
        opts(orderId, 'cancel-shipment', meta),
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
  return service;
}

export type ShippingService = ReturnType<typeof createShippingService>;
