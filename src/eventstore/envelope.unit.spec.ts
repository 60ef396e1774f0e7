import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvelope, outboxFor, toEnvelope, upcast, upcastEnvelope } from './envelope';
import type { StoredEvent, UpcasterRegistry } from './types';

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
