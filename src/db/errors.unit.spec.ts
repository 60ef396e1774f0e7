import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatabaseUnavailable } from './errors';

describe('database unavailable or a wait it gave up (src/db/errors.ts: the API answers 503, the bus consumer retries without counting a try)', () => {
  it('outages, lost connections and the waits Postgres gave up (lock timeout, deadlock, serialization, statement timeout) count', () => {
    for (const code of [
      '08006',
      '57P01',
      '53300',
      '53100',
      '58030',
      '57014',
      '55P03',
      '40P01',
      '40001',
      'ECONNRESET',
      'EAI_AGAIN',
    ])
      assert.equal(isDatabaseUnavailable({ code, message: 'x' }), true, code);
    for (const message of [
      'timeout exceeded when trying to connect',
      'Connection terminated unexpectedly',
      'Cannot use a pool after calling end on the pool',
    ])
      assert.equal(isDatabaseUnavailable(new Error(message)), true, message);
  });

  it('errors of the work itself do not: constraint, bad input, missing table, a bug', () => {
    for (const code of ['23505', '22P02', '42P01', '42703', undefined])
      assert.equal(isDatabaseUnavailable({ code, message: 'x' }), false, String(code));
    assert.equal(
      isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'x')")),
      false,
    );
    assert.equal(isDatabaseUnavailable(undefined), false);
  });
});
