/**
 * The launcher every npm script goes through (scripts/run.js), run as a real process: it runs the command
 * under a Node that package.json's engines allow, with node_modules/.bin first on PATH, and hands back the
 * command's exit code or signal. Its install step finds node_modules up to date here (the suite runs on it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = require('./node-runtime.js') as {
  atLeast: (version: string, minimum: string) => boolean;
  enginesMinimum: () => string;
};

const ROOT = path.resolve(__dirname, '..');
const launch = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'run.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('scripts/run.js', () => {
  it('runs `node` as a Node the engines allow, with node_modules/.bin first on PATH', () => {
    const r = launch('node', '-e', 'console.log(JSON.stringify([process.version, process.env.PATH]))');
    assert.equal(r.status, 0, r.stderr);
    const [version, PATH] = JSON.parse(r.stdout) as [string, string];
    assert.ok(runtime.atLeast(version, runtime.enginesMinimum()), `ran under ${version}`);
    assert.equal(PATH.split(path.delimiter)[0], path.join(ROOT, 'node_modules', '.bin'));
  });

  it('passes the arguments through unchanged and returns the exit code of the command', () => {
    const r = launch(
      'node',
      '-e',
      'console.log(process.argv.slice(1).join("|")); process.exit(7)',
      'a b',
      '*',
    );
    assert.equal(r.stdout.trim(), 'a b|*');
    assert.equal(r.status, 7);
  });

  it('dies by the signal that killed the command', () => {
    const r = launch('sh', '-c', 'kill -TERM $$');
    assert.equal(r.signal, 'SIGTERM');
  });

  it('an unknown command fails with a message that names it', () => {
    const r = launch('no-such-command-in-order-saga');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no-such-command-in-order-saga: command not found/);
  });
});
