/**
 * Shipping activities (task queue `shipping`). createShipment records the shipment (refusing unsupported
 * destinations), books it with the carrier over HTTP through the process's circuit breaker, and records the
 * dispatch with the tracking number. The carrier booking is idempotent by the step key, so a retried
 * attempt gets the same tracking number; the shipment aggregate makes the recorded events idempotent.
 */
import { ApplicationFailure } from '@temporalio/common';
import { BrokenCircuitError, CarrierFailed, CarrierRejected, type CarrierClient } from '../../carrier/client';
import { UnsupportedCountry } from '../../domain/errors';
import type { EventMetadata } from '../../eventstore/types';
import { type Address, destinationOf, type OrderLine } from '../../domain/order/shape';
import { activityMetadata, run } from '../common';

export interface ShippingPort {
  /** UnsupportedCountry for a destination outside supportedCountries; repeat = no-op */
  create(
    orderId: string,
    address: Address,
    lines: { sku: string; quantity: number }[],
    meta: EventMetadata,
  ): Promise<{ shipmentId: string; status: string; trackingNumber?: string }>;
  dispatch(orderId: string, trackingNumber: string, meta: EventMetadata): Promise<unknown>;
  /** no-op when there is no shipment or it is already cancelled */
  cancel(orderId: string, reason: string, meta: EventMetadata): Promise<unknown>;
}

export function createShippingActivities(deps: {
  shipping: ShippingPort;
  carrier: CarrierClient;
  supportedCountries: readonly string[];
}) {
  const { shipping, carrier, supportedCountries } = deps;
  return {
    validateDestination(args: { orderId: string; country: string }): Promise<void> {
      return run(() => {
        if (!supportedCountries.includes(args.country)) {
          throw new UnsupportedCountry(args.country, supportedCountries);
        }
        return Promise.resolve();
      });
    },

    async createShipment(args: {
      orderId: string;
      address: Address;
      lines: OrderLine[];
      key: string;
      requestId?: string;
    }): Promise<{ shipmentId: string; trackingNumber: string }> {
      const meta = activityMetadata(args.key, args);
      const lines = args.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
      const shipment = await run(() => shipping.create(args.orderId, args.address, lines, meta));
      if (shipment.trackingNumber) {
        return { shipmentId: shipment.shipmentId, trackingNumber: shipment.trackingNumber };
      }
      let trackingNumber: string;
      try {
        const booking = await carrier.book({
          key: args.key,
          orderId: args.orderId,
          ...destinationOf(args.address),
          parcels: 1,
        });
        trackingNumber = booking.trackingNumber;
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          throw ApplicationFailure.retryable(
            'carrier circuit breaker is open; retry later',
            'CarrierUnavailable',
          );
        }
        if (err instanceof CarrierFailed)
          throw ApplicationFailure.retryable(err.message, 'CarrierUnavailable');
        if (err instanceof CarrierRejected)
          throw ApplicationFailure.nonRetryable(err.message, 'CarrierRejected');
        throw err;
      }
      await run(() => shipping.dispatch(args.orderId, trackingNumber, meta));
      return { shipmentId: shipment.shipmentId, trackingNumber };
    },

    async cancelShipment(args: {
      orderId: string;
      reason: string;
      key: string;
      requestId?: string;
    }): Promise<void> {
      await run(() => shipping.cancel(args.orderId, args.reason, activityMetadata(args.key, args)));
    },
  };
}
export type ShippingActivities = ReturnType<typeof createShippingActivities>;
