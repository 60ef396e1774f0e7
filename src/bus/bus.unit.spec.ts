import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { murmur2 } from '@platformatic/kafka';
import { BusHeaderError, decodeHeaders, encodeHeaders, HEADER_NAMES, type EventHeaders } from './headers';
import { partitionOf } from './producer';
import { EVENT_TOPICS, eventsTopic } from './topics';

describe('bus headers', () => {
  const full: EventHeaders = {
    eventId: '5f0c6f43-8d7e-4d0e-9a57-0f5f2a3f9b11',
    type: 'OrderPlaced',
    schemaVersion: 2,
    correlationId: 'ord-1',
    causationId: 'req-9',
    requestId: 'req-9',
  };

  it('round-trip through their wire names', () => {
    const wire = encodeHeaders(full);
    assert.deepEqual([...wire.keys()].sort(), Object.values(HEADER_NAMES).sort());
    assert.equal(wire.get('schema-version'), '2');
    assert.deepEqual(decodeHeaders(wire), full);
  });

  it('leave out the optional ones that are not given', () => {
    const minimal: EventHeaders = { eventId: 'e1', type: 'T', schemaVersion: 1 };
    assert.deepEqual([...encodeHeaders(minimal).keys()], ['event-id', 'event-type', 'schema-version']);
    assert.deepEqual(decodeHeaders(encodeHeaders(minimal)), minimal);
  });

  for (const [name, broken] of [
    [
      'event-id',
      new Map([
        ['event-type', 'T'],
        ['schema-version', '1'],
      ]),
    ],
    [
      'schema-version',
      new Map([
        ['event-id', 'e'],
        ['event-type', 'T'],
        ['schema-version', 'x'],
      ]),
    ],
    [
      'schema-version',
      new Map([
        ['event-id', 'e'],
        ['event-type', 'T'],
        ['schema-version', '0'],
      ]),
    ],
  ] as const) {
    it(`a message whose ${name} header is ${JSON.stringify(broken.get(name) ?? null)} is refused, naming it`, () => {
      assert.throws(
        () => decodeHeaders(broken),
        (err: unknown) => err instanceof BusHeaderError && err.message.includes(name),
      );
    });
  }
});

describe('bus keys and topics', () => {
  it("partition a key as the Java client does (murmur2 test vectors of Kafka's own Utils test)", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) {
      assert.equal(murmur2(Buffer.from(key)) | 0, hash, key);
      assert.equal(partitionOf(key, 6), (hash & 0x7fffffff) % 6, key);
    }
  });

  it('name one <service>.events topic per service', () => {
    assert.equal(eventsTopic('payments'), 'payments.events');
    assert.deepEqual(EVENT_TOPICS, [
      'orders.events',
      'inventory.events',
      'payments.events',
      'shipping.events',
    ]);
  });
});
