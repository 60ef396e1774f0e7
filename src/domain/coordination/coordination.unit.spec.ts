import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COORDINATION_MODES, DEFAULT_COORDINATION, gidOf, parseGid } from '.';

describe('coordination vocabulary', () => {
  it('a gid names its order, transaction and participant, and parses back (order ids with colons too)', () => {
    assert.equal(gidOf('o-1', 'apply', 'inventory'), 'order-saga:o-1:apply:inventory');
    assert.deepEqual(parseGid(gidOf('a:b', 'reverse', 'payments')), {
      orderId: 'a:b',
      kind: 'reverse',
      participant: 'payments',
    });
  });
  it('gids of other applications or with unknown parts are not ours', () => {
    for (const gid of [
      'other:o-1:apply:orders',
      'order-saga:o-1:apply:shipping',
      'order-saga:o-1:redo:orders',
      'order-saga::apply:orders',
    ])
      assert.equal(parseGid(gid), undefined, gid);
  });
  it('orchestration is the default mode', () => {
    assert.equal(DEFAULT_COORDINATION, 'orchestration');
    assert.ok(COORDINATION_MODES.includes('2pc') && COORDINATION_MODES.includes('3pc'));
  });
});
