import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from './relay-batch';

describe('backoffDelayMs', () => {
  it('doubles per attempt from the base and stops at the cap, with ±20 % jitter', () => {
    const mid = () => 0.5;
    assert.equal(backoffDelayMs(1, 200, 60_000, mid), 200);
    assert.equal(backoffDelayMs(2, 200, 60_000, mid), 400);
    assert.equal(backoffDelayMs(5, 200, 60_000, mid), 3200);
    assert.equal(backoffDelayMs(30, 200, 60_000, mid), 60_000);
    assert.equal(
      backoffDelayMs(1, 200, 60_000, () => 0),
      160,
    );
    assert.equal(
      backoffDelayMs(1, 200, 60_000, () => 1),
      240,
    );
  });
});
