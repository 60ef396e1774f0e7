import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeCursor, encodeCursor, InvalidCursorError } from './cursor';
import { itemsOf, orderProgress } from './progress';

describe('order read model helpers', () => {
  it('maps each Order event to the status and saga state it leads to', () => {
    const at = '2026-01-01T00:00:00Z';
    assert.equal(orderProgress({ type: 'OrderPlaced', data: {} }), undefined);
    assert.deepEqual(orderProgress({ type: 'OrderInventoryReserved', data: { at } }), {
      status: 'PENDING',
      sagaState: 'INVENTORY_RESERVED',
    });
    assert.deepEqual(orderProgress({ type: 'OrderPaid', data: { at } }), {
      status: 'PENDING',
      sagaState: 'PAYMENT_COMPLETED',
    });
    assert.deepEqual(orderProgress({ type: 'OrderShipped', data: { at } }), {
      status: 'PENDING',
      sagaState: 'ORDER_SHIPPED',
    });
    assert.deepEqual(orderProgress({ type: 'OrderCompleted', data: { at } }), {
      status: 'COMPLETED',
      sagaState: 'COMPLETED',
    });
    assert.deepEqual(
      orderProgress({ type: 'OrderFailed', data: { reason: 'InsufficientFunds', step: 'pay' } }),
      {
        status: 'FAILED',
        sagaState: 'FAILED',
        failureReason: 'InsufficientFunds',
      },
    );
    assert.deepEqual(orderProgress({ type: 'OrderCancelled', data: { reason: 'changed my mind' } }), {
      status: 'CANCELLED',
      sagaState: 'CANCELLED',
      failureReason: 'changed my mind',
    });
    assert.equal(orderProgress({ type: 'SomethingNew', data: {} }), undefined);
  });

  it('computes line totals', () => {
    const items = itemsOf({
      orderId: 'o',
      customerId: 'c',
      lines: [
        { sku: 'A', quantity: 3, unitPrice: 250 },
        { sku: 'B', quantity: 1, unitPrice: 0 },
      ],
      total: 750,
      currency: 'USD',
      shippingAddress: { name: 'n', line1: 'l', city: 'c', postalCode: 'p', country: 'US' },
      placedAt: '2026-01-01T00:00:00Z',
    });
    assert.deepEqual(items, [
      { sku: 'A', quantity: 3, unitPrice: 250, lineTotal: 750 },
      { sku: 'B', quantity: 1, unitPrice: 0, lineTotal: 0 },
    ]);
  });

  it('round-trips keyset cursors and rejects tampered ones', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), fc.string(), (d, id) => {
        const c = encodeCursor(d.toISOString(), id);
        assert.deepEqual(decodeCursor(c), { createdAt: d.toISOString(), orderId: id });
      }),
    );
    assert.throws(() => decodeCursor('not-a-cursor'), InvalidCursorError);
    assert.throws(
      () => decodeCursor(Buffer.from('["yesterday","x"]').toString('base64url')),
      InvalidCursorError,
    );
    assert.throws(() => decodeCursor(Buffer.from('[1,2]').toString('base64url')), InvalidCursorError);
  });
});
