import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isEnvelope, outboxFor, toEnvelope, upcast, upcastEnvelope } from './envelope';
import { backoffDelayMs } from './outbox-relay';
import { decodeCursor, encodeCursor, InvalidCursorError, itemsOf, orderProgress } from './projections/orders';
import { appendSql, deterministicEventId, quoteSchema } from './store';
import type { StoredEvent, UpcasterRegistry } from './types';

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('deterministicEventId', () => {
  it('is a version-5 layout uuid, the same for the same key and index', () => {
    const a = deterministicEventId('order-1/reserve', 0);
    assert.match(a, UUID_V5);
    assert.equal(deterministicEventId('order-1/reserve', 0), a);
  });

  it('differs when the key or the index differs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(100), fc.nat(100), (k1, k2, i1, i2) => {
        fc.pre(k1 !== k2 || i1 !== i2);
        assert.notEqual(deterministicEventId(k1, i1), deterministicEventId(k2, i2));
      }),
    );
  });

  it('does not confuse a key ending in digits with another index', () => {
    assert.notEqual(deterministicEventId('a#1', 0), deterministicEventId('a', 10));
  });
});

describe('backoffDelayMs', () => {
  it('doubles per attempt from the base and stops at the cap, with ±20 % jitter', () => {
    const mid = () => 0.5;
    assert.equal(backoffDelayMs(1, 200, 60_000, mid), 200);
    assert.equal(backoffDelayMs(2, 200, 60_000, mid), 400);
    assert.equal(backoffDelayMs(5, 200, 60_000, mid), 3200);
    assert.equal(backoffDelayMs(30, 200, 60_000, mid), 60_000);
    assert.equal(
      backoffDelayMs(1, 200, 60_000, () => 0),
      160,
    );
    assert.equal(
      backoffDelayMs(1, 200, 60_000, () => 1),
      240,
    );
  });
});

describe('upcasting', () => {
  const registry: UpcasterRegistry = {
    Paid: { currentVersion: 3, upcast: (from, data) => ({ ...(data as object), upcastFrom: from }) },
  };

  it('upcasts older data to the current version and leaves current data alone', () => {
    assert.deepEqual(upcast(registry, 'Paid', 1, { a: 1 }), {
      schemaVersion: 3,
      data: { a: 1, upcastFrom: 1 },
    });
    const current = { a: 2 };
    assert.equal(upcast(registry, 'Paid', 3, current).data, current);
    assert.deepEqual(upcast(registry, 'Other', 1, current), { schemaVersion: 1, data: current });
    assert.deepEqual(upcast(undefined, 'Paid', 1, current), { schemaVersion: 1, data: current });
  });

  it('upcasts an envelope', () => {
    const env = {
      eventId: 'e',
      streamId: 's',
      version: 1,
      type: 'Paid',
      schemaVersion: 2,
      data: {},
      metadata: {},
      recordedAt: '2026-01-01T00:00:00.000Z',
    };
    assert.deepEqual(upcastEnvelope(registry, env), { ...env, schemaVersion: 3, data: { upcastFrom: 2 } });
  });
});

describe('envelopes', () => {
  const stored: StoredEvent = {
    globalPosition: 7,
    streamId: 'order-1',
    version: 2,
    id: '00000000-0000-5000-8000-000000000001',
    type: 'OrderPaid',
    schemaVersion: 1,
    data: { amount: 5 },
    metadata: { correlationId: '1' },
    recordedAt: new Date('2026-01-01T00:00:00Z'),
  };

  it('outboxFor carries what a projection needs, keyed by the stream for ordering', () => {
    const [m] = outboxFor([stored], 'orders');
    assert.deepEqual(m, {
      id: stored.id,
      topic: 'orders.OrderPaid',
      aggregateId: 'order-1',
      payload: toEnvelope(stored),
      metadata: { correlationId: '1' },
    });
    assert.ok(isEnvelope(m.payload));
    assert.equal((m.payload as { recordedAt: string }).recordedAt, '2026-01-01T00:00:00.000Z');
  });

  it('isEnvelope rejects other payloads', () => {
    assert.equal(isEnvelope(null), false);
    assert.equal(isEnvelope({ hello: 1 }), false);
    assert.equal(isEnvelope({ ...toEnvelope(stored), version: '2' }), false);
  });
});

describe('append SQL', () => {
  it('binds scalars for one event and arrays for a batch', () => {
    const single = appendSql('orders', 'expected', {
      single: true,
      explicitOutbox: false,
      publish: false,
      notify: false,
      guardIds: false,
    });
    assert.doesNotMatch(single, /uuid\[\]|unnest/);
    assert.match(single, /cur\.v = \$3::bigint/);
    assert.doesNotMatch(single, /ON CONFLICT/);
    const batch = appendSql('orders', 'no_stream', {
      single: false,
      explicitOutbox: false,
      publish: false,
      notify: false,
      guardIds: false,
    });
    assert.match(batch, /unnest\(\$4::uuid\[\]/);
    // a batch must not write part of itself: a lost race fails it on the unique index instead
    assert.doesNotMatch(batch, /ON CONFLICT/);
    assert.doesNotMatch(batch, /streams/);
  });

  it('writes outbox rows and notifies only when asked', () => {
    const plain = appendSql('orders', 'any', {
      single: true,
      explicitOutbox: false,
      publish: false,
      notify: false,
      guardIds: false,
    });
    assert.doesNotMatch(plain, /outbox|pg_notify/);
    const both = appendSql('orders', 'any', {
      single: false,
      explicitOutbox: true,
      publish: true,
      notify: true,
      guardIds: false,
    });
    assert.match(both, /INSERT INTO "orders"\.outbox[\s\S]*INSERT INTO "orders"\.outbox/);
    assert.match(both, /pg_notify\(\$15::text/);
    const published = appendSql('orders', 'any', {
      single: true,
      explicitOutbox: false,
      publish: true,
      notify: true,
      guardIds: false,
    });
    assert.match(published, /pg_notify\(\$10::text/);
    const later = appendSql('orders', 'any', {
      single: true,
      explicitOutbox: false,
      publish: true,
      notify: false,
      guardIds: false,
    });
    assert.match(later, /INSERT INTO "orders"\.outbox/);
    assert.doesNotMatch(later, /pg_notify/);
  });

  it("checks the event ids inside the statement only when asked (appends in a caller's transaction)", () => {
    const shape = { single: true, explicitOutbox: false, publish: false, notify: false };
    assert.doesNotMatch(
      appendSql('orders', 'expected', { ...shape, guardIds: false }),
      /NOT EXISTS|ON CONFLICT/,
    );
    // one event in a caller's transaction: DO NOTHING covers the id and version indexes
    assert.match(appendSql('orders', 'expected', { ...shape, guardIds: true }), /ON CONFLICT DO NOTHING/);
    assert.match(
      appendSql('orders', 'no_stream', { ...shape, single: false, guardIds: true }),
      /NOT EXISTS \(SELECT 1 FROM "orders"\.events WHERE event_id = ANY\(\$4::uuid\[\]\)\)/,
    );
  });

  it('accepts only plain schema names', () => {
    assert.equal(quoteSchema('orders'), '"orders"');
    assert.throws(() => quoteSchema('orders"; DROP TABLE x; --'));
    assert.throws(() => quoteSchema('Orders'));
  });
});

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
