import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deciderSpec } from '../decider-spec';
import type { DomainError } from '../errors';
import {
  shipmentDecider,
  shipmentStreamId,
  type CreateShipment,
  type ShipmentCommand,
  type ShipmentEvent,
} from './shipment';

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
/** checks the message the API and the saga show for a refusal */
const saying = (message: string) => (err: DomainError) => assert.equal(err.message, message);

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
  it('a shipment needs an order id and at least one line, each with a positive quantity', () => {
    spec
      .given([])
      .when({ ...create, orderId: '' })
      .thenThrows('InvalidCommand', saying('orderId is required'));
    spec
      .given([])
      .when({ ...create, lines: [] })
      .thenThrows('InvalidCommand', saying('a shipment needs at least one line'));
    spec
      .given([])
      .when({ ...create, lines: [...lines, { sku: 'B', quantity: 0 }] })
      .thenThrows('InvalidAmount', saying('lines[1].quantity must be a positive integer, got 0'));
  });
  it('country codes compare case-insensitively', () => {
    const lower = { ...address, country: 'us' };
    spec
      .given([])
      .when({ ...create, address: lower })
      .then([{ ...created, data: { ...created.data, address: lower } }]);
    spec
      .given([])
      .when({ ...create, supportedCountries: ['ca', 'us'] })
      .then([created]);
  });
  it('an address without a country is refused, listing the supported ones', () => {
    const { country: _country, ...noCountry } = address;
    spec
      .given([])
      .when({ ...create, address: noCountry as typeof address })
      .thenThrows('UnsupportedCountry', (err) =>
        assert.deepEqual(err.details, { country: '', supported: ['US', 'CA'] }),
      );
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
      .thenThrows('InvalidTransition', (err) =>
        assert.deepEqual(err.details, { aggregate: 'Shipment', from: 'NONE', command: 'DispatchShipment' }),
      );
    spec
      .given([created, cancelled])
      .when({ type: 'DispatchShipment', trackingNumber: 'TRK', now: T })
      .thenThrows('InvalidTransition');
  });
  it('a dispatch needs a tracking number, which the shipment keeps', () => {
    spec
      .given([created])
      .when({ type: 'DispatchShipment', trackingNumber: '', now: T })
      .thenThrows('InvalidCommand', saying('trackingNumber is required'));
    const state = spec.given([created, dispatched]).state();
    assert.deepEqual(state.status !== 'NONE' && [state.status, state.trackingNumber], ['DISPATCHED', 'TRK']);
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
  it('an event before the creation leaves the shipment uncreated', () => {
    assert.deepEqual(spec.given([dispatched, cancelled]).state(), { status: 'NONE' });
  });
  it('an unknown command or event is refused loudly, not ignored', () => {
    const state = spec.given([created]).state();
    assert.throws(
      () => shipmentDecider.decide({ type: 'Lose', now: T } as unknown as ShipmentCommand, state),
      /Unhandled case/,
    );
    assert.throws(
      () => shipmentDecider.evolve(state, { type: 'ShipmentLost', data: {} } as never),
      /Unhandled case/,
    );
  });
  it('a shipment lives in the stream shipment-<orderId>', () => {
    assert.equal(shipmentStreamId('o-3'), 'shipment-o-3');
  });
});
