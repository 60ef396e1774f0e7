import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuSnapshot, emptySnapshot, groupOf, perOrder } from './cpu';

const zero = emptySnapshot();

describe('bench CPU attribution', () => {
  it('groups the supervised processes', () => {
    assert.equal(groupOf('temporal'), 'temporalServer');
    assert.equal(groupOf('orders'), 'serviceWorkers');
    assert.equal(groupOf('payments-2'), 'serviceWorkers');
    assert.equal(groupOf('bench-orders'), 'benchWorkers');
    assert.equal(groupOf('api'), 'api');
    assert.equal(groupOf('carrier'), 'carrier');
  });

  it('turns two snapshots into CPU milliseconds per order, with a total', () => {
    const after = { ...zero, temporalServer: 1.5, postgres: 0.25, benchProcess: 0.05 };
    assert.deepEqual(perOrder(zero, after, 10), {
      ...zero,
      temporalServer: 150,
      postgres: 25,
      benchProcess: 5,
      total: 180,
    });
  });

  it('reads this process from /proc (Linux)', { skip: process.platform !== 'linux' }, () => {
    let x = 0;
    for (let i = 0; i < 3e6; i++) x += Math.sqrt(i); // burn a little CPU
    const snap = cpuSnapshot([{ name: 'api', pid: process.pid }], undefined)!;
    assert.ok(x > 0 && snap.api > 0, 'our own pid counted under its group');
    assert.ok(snap.benchProcess > 0);
    assert.equal(snap.postgres, 0);
  });
});
