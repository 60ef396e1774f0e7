import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFLICT_RETRY, conflictRetryDelayMs } from './conflict-retry';

describe('conflict retry policy', () => {
  it('waits a random share of a ceiling that doubles from the base and stops at the cap', () => {
    const top = () => 0.999_999;
    assert.equal(
      conflictRetryDelayMs(1, () => 0),
      0,
    );
    assert.ok(Math.abs(conflictRetryDelayMs(1, top)! - CONFLICT_RETRY.baseDelayMs) < 0.001);
    assert.ok(Math.abs(conflictRetryDelayMs(2, () => 0.5)! - CONFLICT_RETRY.baseDelayMs) < 0.001);
    assert.ok(Math.abs(conflictRetryDelayMs(3, () => 0.5)! - 2 * CONFLICT_RETRY.baseDelayMs) < 0.001);
    const late = conflictRetryDelayMs(CONFLICT_RETRY.maxAttempts - 1, top)!;
    assert.ok(late <= CONFLICT_RETRY.maxDelayMs && late > CONFLICT_RETRY.maxDelayMs * 0.99);
  });

  it('gives up once the attempts are used up', () => {
    for (let conflicts = 1; conflicts < CONFLICT_RETRY.maxAttempts; conflicts++)
      assert.notEqual(conflictRetryDelayMs(conflicts), undefined, `after ${conflicts} conflicts`);
    assert.equal(conflictRetryDelayMs(CONFLICT_RETRY.maxAttempts), undefined);
    assert.equal(conflictRetryDelayMs(CONFLICT_RETRY.maxAttempts + 5), undefined);
  });
});
