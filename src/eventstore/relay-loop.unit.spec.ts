import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sleeper } from './relay-loop';

describe('relay sleep', () => {
  it('a wake-up ends a sleep early', { timeout: 10_000 }, async () => {
    const sleeper = new Sleeper(() => false);
    const slept = sleeper.sleep(600_000).then(() => 'woken');
    sleeper.wakeUp();
    assert.equal(await slept, 'woken');
  });

  it(
    'a wake-up while the loop is busy is remembered: the next sleep returns at once, the one after does not',
    { timeout: 10_000 },
    async () => {
      const sleeper = new Sleeper(() => false);
      sleeper.wakeUp(); // e.g. a NOTIFY during a batch
      await sleeper.sleep(600_000);
      let settled = false;
      const next = sleeper.sleep(600_000).then(() => (settled = true));
      await new Promise((res) => setImmediate(res));
      assert.equal(settled, false, 'the remembered wake-up was used once');
      sleeper.wakeUp();
      await next;
    },
  );

  it('a stopped relay does not sleep', { timeout: 10_000 }, async () => {
    let stopped = false;
    const sleeper = new Sleeper(() => stopped);
    stopped = true;
    await sleeper.sleep(600_000);
  });
});
