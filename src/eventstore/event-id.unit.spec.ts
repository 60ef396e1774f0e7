import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deterministicEventId } from './event-id';

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
