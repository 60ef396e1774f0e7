import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupCommitter } from './group-commit';

interface Job {
  key: string;
  n: number;
}

/** A committer over fake statements that finish when the test says so, recording what ran together. */
function harness(maxInFlight: number, manyResult?: (jobs: Job[]) => (string | undefined)[] | Error) {
  const statements: string[][] = [];
  const open: (() => void)[] = [];
  const hold = () => new Promise<void>((res) => open.push(res));
  const submit = groupCommitter<Job, string>({
    maxInFlight,
    maxBatch: 3,
    key: (j) => j.key,
    one: async (j) => {
      statements.push([`one:${j.key}${j.n}`]);
      await hold();
      if (j.key === 'bad') throw new Error(`bad ${j.n}`);
      return `alone ${j.key}${j.n}`;
    },
    many: async (jobs) => {
      statements.push(jobs.map((j) => `${j.key}${j.n}`));
      await hold();
      const r = manyResult?.(jobs) ?? jobs.map((j) => `batched ${j.key}${j.n}`);
      if (r instanceof Error) throw r;
      return r;
    },
  });
  const release = async () => {
    while (open.length) open.shift()!();
    await new Promise((res) => setImmediate(res));
  };
  return { submit, statements, release };
}

const settleAll = async (h: { release: () => Promise<void> }, ps: Promise<unknown>[]) => {
  const out = Promise.allSettled(ps);
  for (let i = 0; i < 20; i++) await h.release();
  return out;
};

describe('group commit', () => {
  it('runs a lone append at once, alone', async () => {
    const h = harness(2);
    const p = h.submit({ key: 'a', n: 1 });
    assert.deepEqual(h.statements, [['one:a1']]);
    await h.release();
    assert.equal(await p, 'alone a1');
  });

  it('queues appends behind full slots and sends them together, one per stream per batch', async () => {
    const h = harness(1);
    const ps = [
      h.submit({ key: 'a', n: 1 }),
      h.submit({ key: 'b', n: 1 }),
      h.submit({ key: 'c', n: 1 }),
      h.submit({ key: 'b', n: 2 }),
      h.submit({ key: 'd', n: 1 }),
      h.submit({ key: 'e', n: 1 }),
    ];
    const r = await settleAll(h, ps);
    // a1 alone; then at most 3 distinct streams (b2 waits for the next batch); then the rest
    assert.deepEqual(h.statements, [['one:a1'], ['b1', 'c1', 'd1'], ['b2', 'e1']]);
    assert.deepEqual(
      r.map((x) => (x.status === 'fulfilled' ? x.value : 'rejected')),
      ['alone a1', 'batched b1', 'batched c1', 'batched b2', 'batched d1', 'batched e1'],
    );
  });

  it('never runs more statements at once than maxInFlight', async () => {
    const h = harness(2);
    const ps = Array.from({ length: 10 }, (_, i) => h.submit({ key: `s${i}`, n: 1 }));
    assert.equal(h.statements.length, 2);
    await settleAll(h, ps);
    assert.equal(h.statements.flat().length, 10);
  });

  it('runs alone what the batch did not write, and everything alone when the batch fails', async () => {
    const partial = harness(1, (jobs) => jobs.map((j) => (j.key === 'x' ? undefined : `batched ${j.key}`)));
    const ps = ['a', 'x', 'y'].map((key) => partial.submit({ key, n: 1 }));
    const r = await settleAll(partial, ps);
    assert.deepEqual(partial.statements, [['one:a1'], ['x1', 'y1'], ['one:x1']]);
    assert.deepEqual(
      r.map((x) => (x.status === 'fulfilled' ? x.value : 'rejected')),
      ['alone a1', 'alone x1', 'batched y'],
    );

    const failing = harness(1, () => new Error('batch failed'));
    const qs = ['a', 'bad', 'c'].map((key) => failing.submit({ key, n: 1 }));
    const f = await settleAll(failing, qs);
    assert.deepEqual(failing.statements.slice(1, 2), [['bad1', 'c1']]);
    // the error reaches only the append that causes it when run alone
    assert.deepEqual(
      f.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message)),
      ['alone a1', 'bad 1', 'alone c1'],
    );
  });
});
