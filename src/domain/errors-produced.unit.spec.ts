/**
 * ERROR_CODES lists exactly what the deciders produce: the table below is keyed by ErrorCode (a code added
 * to the list without a case here fails to compile) and each case drives a real decider into that refusal,
 * so a code that nothing raises any more cannot stay in the list (nor in the saga's non-retryable types).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decider } from './decider';
import { accountDecider } from './account';
import { ERROR_CODES, type ErrorCode, isDomainError } from './errors';
import { inventoryDecider } from './inventory';
import { orderDecider, type PlaceOrder } from './order';
import { shipmentDecider } from './shipment';

const now = '2026-01-01T00:00:00.000Z';

/** Decides and applies each command in turn from the initial state; returns what the last one throws. */
function refusalOf<C, E extends { type: string }, S>(decider: Decider<C, E, S>, commands: C[]): unknown {
  let state = decider.initialState();
  for (const command of commands) {
    try {
      state = decider.decide(command, state).reduce(decider.evolve, state);
    } catch (err) {
      return err;
    }
  }
  return undefined;
}

const place = (overrides: Partial<PlaceOrder> = {}): PlaceOrder => ({
  type: 'PlaceOrder',
  orderId: 'o-1',
  customerId: 'c-1',
  lines: [{ sku: 'A-1', quantity: 2, unitPrice: 500 }],
  total: 1000,
  currency: 'USD',
  shippingAddress: { name: 'N', line1: 'L', city: 'C', postalCode: '1', country: 'DE' },
  now,
  ...overrides,
});
const shipmentTo = (country: string) => ({
  type: 'CreateShipment' as const,
  orderId: 'o-1',
  address: { name: 'N', line1: 'L', city: 'C', postalCode: '1', country },
  lines: [{ sku: 'A-1', quantity: 1 }],
  supportedCountries: ['DE'],
  now,
});

const CASES: Record<ErrorCode, () => unknown> = {
  InsufficientStock: () =>
    refusalOf(inventoryDecider, [
      { type: 'DefineItem', sku: 'A-1', name: 'A', price: 500, now },
      { type: 'Reserve', sku: 'A-1', orderId: 'o-1', quantity: 1, now },
    ]),
  InsufficientFunds: () =>
    refusalOf(accountDecider, [{ type: 'Charge', customerId: 'c-1', orderId: 'o-1', amount: 100, now }]),
  UnsupportedCountry: () => refusalOf(shipmentDecider, [shipmentTo('XX')]),
  UnknownSku: () =>
    refusalOf(inventoryDecider, [{ type: 'Reserve', sku: 'A-9', orderId: 'o-1', quantity: 1, now }]),
  ShipmentAlreadyDispatched: () =>
    refusalOf(shipmentDecider, [
      shipmentTo('DE'),
      { type: 'DispatchShipment', trackingNumber: 'T-1', now },
      { type: 'CancelShipment', reason: 'customer cancelled', now },
    ]),
  InvalidAmount: () => refusalOf(orderDecider, [place({ total: 999 })]),
  InvalidCommand: () => refusalOf(orderDecider, [place({ lines: [] })]),
  InvalidTransition: () => refusalOf(orderDecider, [{ type: 'MarkPaid', amount: 1000, now }]),
};

describe('the domain error codes (deciders driven into each refusal, no I/O)', () => {
  for (const code of ERROR_CODES) {
    it(`${code} is raised by a decider`, () => {
      const err = CASES[code]();
      assert.ok(isDomainError(err), `expected a DomainError, got ${String(err)}`);
      assert.equal(err.code, code);
    });
  }

  it('every code the table exercises is in ERROR_CODES, once', () => {
    assert.deepEqual(Object.keys(CASES).sort(), [...ERROR_CODES].sort());
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  });
});
