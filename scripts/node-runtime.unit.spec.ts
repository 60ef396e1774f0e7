/**
 * Which Node the project's scripts run under (scripts/node-runtime.js), and that every npm script goes
 * through the launcher that picks it and installs the packages (scripts/run.js).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = require('./node-runtime.js') as {
  NODE_VERSION: string;
  plan: (o: { machine: string; env: Record<string, string>; minimum: string }) => {
    source: 'machine' | 'registry';
    version: string;
    reason?: string;
  };
  enginesMinimum: (pkg?: unknown) => string;
};

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const plan = (machine: string, env: Record<string, string> = {}) =>
  runtime.plan({ machine, env, minimum: '22.11.0' });

describe('node runtime', () => {
  it('package.json engines allow Node 22 LTS (from 22.22, the minimum of the Kafka client) and 24 LTS and not Node 20', () => {
    assert.equal(runtime.enginesMinimum(), '22.22.0');
    assert.equal(runtime.NODE_VERSION.split('.')[0], '24');
  });

  it("runs on the machine's Node when the engines allow it, whatever its major", () => {
    for (const v of ['v22.11.0', 'v22.20.1', 'v24.1.0', 'v26.0.0'])
      assert.deepEqual(plan(v), { source: 'machine', version: v });
  });

  it('fetches Node 24 when the machine has an older Node, and says why', () => {
    for (const v of ['v20.20.2', 'v22.10.0', 'v18.0.0']) {
      const p = plan(v);
      assert.equal(p.source, 'registry');
      assert.equal(p.version, `v${runtime.NODE_VERSION}`);
      assert.match(p.reason ?? '', new RegExp(`${v.replace(/\./g, '\\.')} is older than .*>=22\\.11\\.0`));
    }
  });

  it('ORDER_SAGA_NODE=24 runs on Node 24: the machine’s when it is 24, else the fetched one', () => {
    assert.deepEqual(plan('v24.3.0', { ORDER_SAGA_NODE: '24' }), { source: 'machine', version: 'v24.3.0' });
    for (const v of ['v22.12.0', 'v20.20.2', 'v26.1.0']) {
      const p = plan(v, { ORDER_SAGA_NODE: '24' });
      assert.equal(p.source, 'registry', v);
      assert.match(p.reason ?? '', /ORDER_SAGA_NODE=24/);
    }
    assert.equal(plan('v22.12.0', { ORDER_SAGA_NODE: '' }).source, 'machine');
  });

  it('refuses an ORDER_SAGA_NODE it cannot honour, naming the variable', () => {
    assert.throws(() => plan('v20.20.2', { ORDER_SAGA_NODE: '22' }), /ORDER_SAGA_NODE=22.*only Node 24/);
    assert.throws(() => plan('v24.1.0', { ORDER_SAGA_NODE: 'lts' }), /ORDER_SAGA_NODE must be a major/);
  });

  it('refuses an engines range it cannot read instead of guessing', () => {
    assert.equal(runtime.enginesMinimum({ engines: { node: '>= 22.1.2' } }), '22.1.2');
    assert.throws(
      () => runtime.enginesMinimum({ engines: { node: '^22 || ^24' } }),
      /engines\.node must read/,
    );
    assert.throws(() => runtime.enginesMinimum({}), /engines\.node must read/);
  });

  it('every npm script goes through scripts/run.js (or runs another npm script that does)', () => {
    for (const [name, script] of Object.entries(pkg.scripts)) {
      for (const part of script.split('&&').map((s) => s.trim())) {
        const other = /^npm run (?:--silent )?(\S+)$/.exec(part)?.[1];
        if (other) assert.ok(pkg.scripts[other], `${name}: npm run ${other} names no script`);
        else assert.match(part, /^node scripts\/run\.js \S/, `${name}: "${part}" bypasses the launcher`);
      }
    }
  });
});
