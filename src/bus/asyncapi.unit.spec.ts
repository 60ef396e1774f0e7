import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { createAsyncApiValidator } from '../../test/support/asyncapi-validate';
import type { EventEnvelope } from '../eventstore';
import { asyncApiDocument, asyncApiText } from './asyncapi';
import { encodeHeaders, HEADER_NAMES } from './headers';
import { EVENT_TOPICS } from './topics';
import { ASYNCAPI_FILE } from './write-asyncapi';

const placed: EventEnvelope = {
  eventId: '6f1c2f58-6d7e-4d8e-9a53-2b1f6b1c9a10',
  streamId: 'order-o-1',
  version: 1,
  type: 'OrderPlaced',
  schemaVersion: 1,
  data: {
    orderId: 'o-1',
    customerId: 'c-1',
    lines: [{ sku: 'A-1', quantity: 2, unitPrice: 500 }],
    total: 1000,
    currency: 'USD',
    shippingAddress: { name: 'N', line1: 'L', city: 'C', postalCode: '1', country: 'DE' },
    placedAt: '2026-01-01T00:00:00.000Z',
  },
  metadata: { correlationId: 'o-1', requestId: 'r-1' },
  recordedAt: '2026-01-01T00:00:00.000Z',
};
const headersOf = (e: EventEnvelope) =>
  encodeHeaders({ eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion, correlationId: 'o-1' });

describe('AsyncAPI document of the bus', () => {
  it('the committed docs/asyncapi.json equals the document generated from the code', () => {
    assert.deepEqual(
      JSON.parse(fs.readFileSync(ASYNCAPI_FILE, 'utf8')),
      JSON.parse(asyncApiText()),
      'docs/asyncapi.json is stale: run `npm run asyncapi`',
    );
  });

  it('is AsyncAPI 3.0 with every topic as a channel and every header the code sends', () => {
    const doc = asyncApiDocument() as {
      asyncapi: string;
      channels: Record<string, { address: string }>;
      components: { schemas: { EventHeaders: { properties: Record<string, unknown> } } };
    };
    assert.equal(doc.asyncapi, '3.0.0');
    assert.deepEqual(
      Object.values(doc.channels).map((c) => c.address),
      [...EVENT_TOPICS],
    );
    assert.deepEqual(
      Object.keys(doc.components.schemas.EventHeaders.properties).sort(),
      Object.values(HEADER_NAMES).sort(),
    );
  });

  it('accepts a well-formed OrderPlaced on orders.events', () => {
    const validate = createAsyncApiValidator(asyncApiDocument());
    assert.deepEqual(validate('orders.events', headersOf(placed), JSON.stringify(placed)), []);
  });

  it('refuses a payload that breaks its schema, a message on the wrong topic, and missing headers', () => {
    const validate = createAsyncApiValidator(asyncApiDocument());
    const noTotal = { ...placed, data: { ...(placed.data as object), total: 'ten' } };
    assert.match(validate('orders.events', headersOf(placed), JSON.stringify(noTotal)).join(), /total/);
    assert.match(
      validate('payments.events', headersOf(placed), JSON.stringify(placed)).join(),
      /not a message of payments.events/,
    );
    const bare = new Map([['event-type', 'OrderPlaced']]);
    assert.match(validate('orders.events', bare, JSON.stringify(placed)).join(), /event-id/);
  });
});
