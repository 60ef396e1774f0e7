import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTogether } from './start-together';

describe('startTogether (test support)', () => {
  it('resolves with every component, in the order given, when all start', async () => {
    const a = { stop: () => Promise.resolve(), name: 'a' };
    const b = { close: () => Promise.resolve(), name: 'b' };
    const [x, y] = await startTogether(Promise.resolve(a), Promise.resolve(b));
    assert.equal(x.name, 'a');
    assert.equal(y.name, 'b');
  });

  it('stops the components that started when another fails, then throws that failure', async () => {
    const stopped: string[] = [];
    const broker = {
      dispose: () => Promise.resolve(void stopped.push('broker disposed')),
      stop: () => Promise.resolve(void stopped.push('broker stopped')),
    };
    const temporal = { teardown: () => Promise.resolve(void stopped.push('temporal torn down')) };
    await assert.rejects(
      startTogether(
        Promise.resolve(broker),
        Promise.reject(new Error('postgres did not start')),
        Promise.resolve(temporal),
      ),
      /postgres did not start/,
    );
    assert.deepEqual(stopped.sort(), ['broker disposed', 'temporal torn down']);
  });
});
