/** The partition test hook read from a file (no stubs: a real file in a temporary directory). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { partitionFromFile } from './partition-hook';

describe('partitionFromFile', () => {
  it('is absent without a path, and cuts off a participant only while the file names it', () => {
    assert.equal(partitionFromFile(undefined, 'payments'), undefined);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partition-hook-'));
    const file = path.join(dir, 'partition');
    const payments = partitionFromFile(file, 'payments')!;
    const orders = partitionFromFile(file, 'orders')!;
    assert.equal(payments(), false, 'no file: no partition');
    fs.writeFileSync(file, 'payments\n');
    assert.deepEqual([payments(), orders()], [true, false]);
    fs.writeFileSync(file, 'inventory orders');
    assert.deepEqual([payments(), orders()], [false, true]);
    fs.rmSync(file);
    assert.equal(orders(), false, 'healed: the file is gone');
    fs.rmSync(dir, { recursive: true });
  });
});
