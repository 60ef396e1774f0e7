import { describe, it } from 'node:test';
import { deciderSpec } from '../decider-spec';
import { shipmentDecider, type CreateShipment, type ShipmentEvent } from './shipment';

const spec = deciderSpec(shipmentDecider);
const T = '2026-01-01T10:00:00.000Z';
const address = { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const lines = [{ sku: 'A', quantity: 2 }];
const create: CreateShipment = {
  type: 'CreateShipment',
  orderId: 'o1',
  address,
  lines,
  supportedCountries: ['US', 'CA'],
  now: T,
};
const created: ShipmentEvent = {
  type: 'ShipmentCreated',
  data: { shipmentId: 'shp-o1', orderId: 'o1', address, lines, at: T },
};
const dispatched: ShipmentEvent = {
  type: 'ShipmentDispatched',
  data: { shipmentId: 'shp-o1', orderId: 'o1', trackingNumber: 'TRK', at: T },
};
const cancelled: ShipmentEvent = {
  type: 'ShipmentCancelled',
  data: { shipmentId: 'shp-o1', orderId: 'o1', reason: 'order failed', at: T },
};

describe('Shipment decider', () => {
  it('a shipment is created for an address in a supported country, once', () => {
    spec.given([]).when(create).then([created]);
    spec.given([created]).when(create).then([]);
  });
  it('a country outside the supported list is refused with UnsupportedCountry', () => {
    spec
      .given([])
      .when({ ...create, address: { ...address, country: 'BR' } })
      .thenThrows('UnsupportedCountry');
  });
  it('country codes compare case-insensitively', () => {
    spec
      .given([])
      .when({ ...create, address: { ...address, country: 'us' } })
      .events();
  });
  it('a created shipment is dispatched with a tracking number, once', () => {
    spec
      .given([created])
      .when({ type: 'DispatchShipment', trackingNumber: 'TRK', now: T })
      .then([dispatched]);
    spec
      .given([created, dispatched])
      .when({ type: 'DispatchShipment', trackingNumber: 'TRK', now: T })
      .then([]);
  });
  it('dispatching a shipment that does not exist or was cancelled is refused', () => {
    spec
      .given([])
      .when({ type: 'DispatchShipment', trackingNumber: 'TRK', now: T })
      .thenThrows('InvalidTransition');
    spec
      .given([created, cancelled])
      .when({ type: 'DispatchShipment', trackingNumber: 'TRK', now: T })
      .thenThrows('InvalidTransition');
  });
  it('cancel is a no-op when nothing was created or it was cancelled already', () => {
    spec.given([]).when({ type: 'CancelShipment', reason: 'x', now: T }).then([]);
    spec.given([created, cancelled]).when({ type: 'CancelShipment', reason: 'x', now: T }).then([]);
  });
  it('a created shipment can be cancelled', () => {
    spec.given([created]).when({ type: 'CancelShipment', reason: 'order failed', now: T }).then([cancelled]);
  });
  it('a dispatched shipment cannot be cancelled', () => {
    spec
      .given([created, dispatched])
      .when({ type: 'CancelShipment', reason: 'x', now: T })
      .thenThrows('ShipmentAlreadyDispatched');
  });
});
