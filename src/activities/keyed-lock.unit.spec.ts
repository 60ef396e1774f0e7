import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedLock } from './keyed-lock';

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedLock', () => {
  it('runs holders of the same key one at a time, in arrival order, and releases on failure', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let inside = 0;
    const job = (name: string, fail = false) =>
      lock.withLocks(['sku-a'], async () => {
        inside++;
        assert.equal(inside, 1, 'never two holders at once');
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        inside--;
        if (fail) throw new Error(name);
      });
    const results = await Promise.allSettled([job('1'), job('2', true), job('3')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('lets different keys proceed together and never deadlocks on overlapping key sets', async () => {
    const lock = new KeyedLock();
    let concurrent = 0;
    let peak = 0;
    const job = (keys: string[]) =>
      lock.withLocks(keys, async () => {
        peak = Math.max(peak, ++concurrent);
        await tick();
        concurrent--;
      });
    await Promise.all([job(['a']), job(['b'])]);
    assert.equal(peak, 2);
    await Promise.all([job(['a', 'b']), job(['b', 'a']), job(['b']), job(['a', 'c'])]);
  });
});
