import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InsufficientFunds,
  InsufficientStock,
  InvalidAmount,
  InvalidCommand,
  InvalidTransition,
  ShipmentAlreadyDispatched,
  UnknownSku,
  UnsupportedCountry,
  assertNever,
  assertNonNegativeInt,
  assertPositiveInt,
  isDomainError,
  type DomainError,
} from './errors';

// The message becomes the API's problem detail and the workflow's failure reason; the details travel with
// the non-retryable ApplicationFailure. Both are what a client or an operator sees of a refusal.
const refusal = (err: DomainError) => ({
  code: err.code,
  name: err.name,
  message: err.message,
  details: err.details,
});

describe('domain errors', () => {
  it('each refusal carries its code as its name, a readable message and structured details', () => {
    assert.deepEqual(refusal(new InvalidAmount('amount', 0)), {
      code: 'InvalidAmount',
      name: 'InvalidAmount',
      message: 'amount must be a positive integer, got 0',
      details: { field: 'amount', value: 0, rule: 'a positive integer' },
    });
    assert.deepEqual(refusal(new InsufficientFunds(1000, 1001)), {
      code: 'InsufficientFunds',
      name: 'InsufficientFunds',
      message: 'Insufficient funds: balance 1000, requested 1001',
      details: { balance: 1000, requested: 1001 },
    });
    assert.deepEqual(refusal(new InsufficientStock('SKU-1', 1, 2)), {
      code: 'InsufficientStock',
      name: 'InsufficientStock',
      message: 'Insufficient stock for SKU-1: available 1, requested 2',
      details: { sku: 'SKU-1', available: 1, requested: 2 },
    });
    assert.deepEqual(refusal(new UnknownSku('SKU-9')), {
      code: 'UnknownSku',
      name: 'UnknownSku',
      message: 'Unknown SKU SKU-9',
      details: { sku: 'SKU-9' },
    });
    assert.deepEqual(refusal(new UnsupportedCountry('BR', ['US', 'CA'])), {
      code: 'UnsupportedCountry',
      name: 'UnsupportedCountry',
      message: 'Shipping to BR is not supported (supported: US, CA)',
      details: { country: 'BR', supported: ['US', 'CA'] },
    });
    assert.deepEqual(refusal(new InvalidTransition('Order', 'PLACED', 'MarkPaid')), {
      code: 'InvalidTransition',
      name: 'InvalidTransition',
      message: 'Order: cannot MarkPaid in state PLACED',
      details: { aggregate: 'Order', from: 'PLACED', command: 'MarkPaid' },
    });
    assert.deepEqual(refusal(new ShipmentAlreadyDispatched('o1')), {
      code: 'ShipmentAlreadyDispatched',
      name: 'ShipmentAlreadyDispatched',
      message: 'Shipment for order o1 was already dispatched',
      details: { orderId: 'o1' },
    });
    assert.deepEqual(refusal(new InvalidCommand('orderId is required')), {
      code: 'InvalidCommand',
      name: 'InvalidCommand',
      message: 'orderId is required',
      details: {},
    });
  });

  it('domain errors are told apart from every other error', () => {
    assert.equal(isDomainError(new UnknownSku('x')), true);
    assert.equal(isDomainError(new InvalidCommand('x')), true);
    assert.equal(isDomainError(new Error('x')), false);
    assert.equal(isDomainError({ code: 'UnknownSku', message: 'x' }), false);
    assert.equal(isDomainError(undefined), false);
  });

  it('a positive integer is accepted from 1 to the largest safe integer, anything else is refused', () => {
    for (const ok of [1, 2, Number.MAX_SAFE_INTEGER]) assertPositiveInt('quantity', ok);
    for (const bad of [
      0,
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.MAX_SAFE_INTEGER + 1,
      '5',
      null,
    ]) {
      assert.throws(
        () => assertPositiveInt('quantity', bad),
        (err: unknown) =>
          err instanceof InvalidAmount &&
          err.message === `quantity must be a positive integer, got ${JSON.stringify(bad)}`,
        String(bad),
      );
    }
  });

  it('a non-negative integer is accepted from 0 up, anything else is refused with the non-negative rule', () => {
    for (const ok of [0, 1, Number.MAX_SAFE_INTEGER]) assertNonNegativeInt('price', ok);
    for (const bad of [-1, 0.5, Number.NaN, Number.NEGATIVE_INFINITY, '0', undefined]) {
      assert.throws(
        () => assertNonNegativeInt('price', bad),
        (err: unknown) =>
          err instanceof InvalidAmount &&
          err.details.rule === 'a non-negative integer' &&
          err.message.startsWith('price must be a non-negative integer, got '),
        String(bad),
      );
    }
  });

  it('an unhandled case of a union fails loudly with the value it got', () => {
    assert.throws(() => assertNever({ type: 'Teleport' } as never), {
      message: 'Unhandled case: {"type":"Teleport"}',
    });
  });
});
