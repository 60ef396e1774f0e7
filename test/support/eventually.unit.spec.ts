import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually } from './eventually';

describe('eventually', () => {
  it('returns the value of the first attempt that passes', async () => {
    let n = 0;
    const value = await eventually(
      () => {
        n++;
        assert.ok(n >= 3, `attempt ${n}`);
        return n;
      },
      { intervalMs: 1 },
    );
    assert.equal(value, 3);
  });

  it('fails with the last assertion message once the time is up', async () => {
    let n = 0;
    const started = Date.now();
    await assert.rejects(
      eventually(
        () => {
          n++;
          assert.fail(`not yet (attempt ${n})`);
        },
        { timeoutMs: 30, intervalMs: 5, what: 'the marker' },
      ),
      (err: Error) => {
        assert.match(
          err.message,
          /^eventually \(the marker\): still failing after \d+ ms and \d+ attempts: not yet \(attempt \d+\)$/,
        );
        // the message is the last attempt's, however many attempts a loaded machine fitted in the time
        assert.ok(err.message.endsWith(`${n} attempts: not yet (attempt ${n})`), err.message);
        assert.ok(Date.now() - started >= 30, 'it waited the whole timeout');
        return true;
      },
    );
  });
});
