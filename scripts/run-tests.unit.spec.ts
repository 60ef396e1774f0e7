/**
 * The test runner's levels (scripts/run-tests.js): every spec names its level in its suffix, `npm test` runs
 * unit, then int, then e2e, and a spec that starts the whole stack is an e2e spec (the rule in the README's
 * Tests section), read from what each spec imports or spawns.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runner = require('./run-tests.js') as {
  LEVELS: string[];
  levelOf: (file: string) => string | undefined;
  plan: (argv: string[]) => { level: string; files: string[] }[];
};

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/**
 * What starts the whole stack from a spec: the `npm start` harness (test/support/stack-process.ts), the
 * platform's launchStack, the chaos suite, or an entry script run as a child (bench/run.ts, chaos/run.ts).
 */
const WHOLE_STACK = [/support\/stack-process'/, /\blaunchStack\(/, /\brunChaos\(/, /__dirname, 'run\.ts'\)/];

describe('test runner levels', () => {
  it('reads the level from the suffix and nothing else', () => {
    assert.equal(runner.levelOf('src/a/b.unit.spec.ts'), 'unit');
    assert.equal(runner.levelOf('src/a/b.int.spec.ts'), 'int');
    assert.equal(runner.levelOf('chaos/chaos.e2e.spec.ts'), 'e2e');
    assert.equal(runner.levelOf('src/unit/b.spec.ts'), undefined);
    assert.equal(runner.levelOf('src/a/e2e.int.spec.ts'), 'int');
  });

  it('npm test plans unit, then int, then e2e, and every spec of the repository is in exactly one', () => {
    const phases = runner.plan([]);
    assert.deepEqual(
      phases.map((p) => p.level),
      ['unit', 'int', 'e2e'],
    );
    const planned = phases.flatMap((p) => p.files);
    assert.equal(new Set(planned).size, planned.length);
    for (const p of phases) for (const f of p.files) assert.equal(runner.levelOf(f), p.level, f);
    assert.ok(planned.includes('scripts/run-tests.unit.spec.ts'));
  });

  it('--level runs one level; a filter keeps the matching files of it; an unknown level is refused', () => {
    const e2e = runner.plan(['--level=e2e']);
    assert.deepEqual(
      e2e.map((p) => p.level),
      ['e2e'],
    );
    assert.deepEqual(runner.plan(['--level=unit', 'run-tests']), [
      { level: 'unit', files: ['scripts/run-tests.unit.spec.ts'] },
    ]);
    assert.deepEqual(runner.plan(['--level=int', 'run-tests']), []);
    assert.throws(() => runner.plan(['--level=integration']), /--level must be one of unit, int, e2e/);
  });

  it('npm run test:unit, test:int and test:e2e run one level each through the runner', () => {
    for (const level of runner.LEVELS)
      assert.equal(
        pkg.scripts[`test:${level}`],
        `node scripts/run.js node scripts/run-tests.js --level=${level}`,
      );
    assert.equal(pkg.scripts.test, 'node scripts/run.js node scripts/run-tests.js');
  });

  it('a spec is e2e exactly when it starts the whole stack', () => {
    const files = runner.plan([]).flatMap((p) => p.files);
    const wholeStack = files.filter((f) => {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      return WHOLE_STACK.some((re) => re.test(text));
    });
    assert.ok(wholeStack.length >= 4, wholeStack.join(', '));
    assert.deepEqual(
      wholeStack,
      files.filter((f) => runner.levelOf(f) === 'e2e'),
    );
  });
});
