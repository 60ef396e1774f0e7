import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kneeOf, leastSquares, median, pairedRatio, quantile, summarize } from './stats';

describe('bench statistics', () => {
  it('nearest-rank quantiles of a sorted sample', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(quantile(xs, 0.5), 50);
    assert.equal(quantile(xs, 0.99), 99);
    assert.equal(quantile(xs, 1), 100);
    assert.equal(quantile([], 0.5), 0);
    assert.deepEqual(summarize([3, 1, 2]), { samples: 3, p50Ms: 2, p90Ms: 3, p99Ms: 3, maxMs: 3 });
  });

  it('least squares recovers a line and its fit quality', () => {
    const fit = leastSquares([1, 3, 6, 9], [12, 16, 22, 28]);
    assert.equal(fit.slope, 2);
    assert.equal(fit.intercept, 10);
    assert.equal(fit.r2, 1);
    const noisy = leastSquares([1, 3, 6, 9], [10, 20, 12, 30]);
    assert.ok(noisy.r2 > 0 && noisy.r2 < 1);
  });

  it('the knee is the last rung that keeps up before latency doubles', () => {
    const rung = (offered: number, completed: number, p50: number) => ({
      offeredPerSecond: offered,
      completedPerSecond: completed,
      p50Ms: p50,
      p99Ms: p50 * 2,
    });
    assert.equal(kneeOf([rung(10, 10, 100), rung(20, 19.5, 120), rung(30, 24, 900)]), 20);
    assert.equal(kneeOf([rung(10, 10, 100), rung(20, 20, 150), rung(30, 30, 250)]), 20);
    assert.equal(kneeOf([rung(10, 5, 100)]), undefined);
  });

  it('a paired ratio is the median of the per-round ratios, with their spread', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    const r = pairedRatio([8, 6, 9], [10, 10, 10]);
    assert.deepEqual(r, { median: 0.8, rounds: [0.8, 0.6, 0.9], min: 0.6, max: 0.9 });
    assert.throws(() => pairedRatio([1, 2], [1]), /same number of rounds/);
  });
});
