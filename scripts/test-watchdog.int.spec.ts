import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { eventually } from '../test/support/eventually';

const watchdog = path.join(__dirname, 'test-watchdog.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { arm } = require(watchdog) as {
  arm: (env: Record<string, string>) => NodeJS.Timeout | undefined;
};

/** A process that would never end on its own: it keeps a timer and a child `sleep` running. */
const HANGING = `
  const { spawn } = require('node:child_process');
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  process.on('SIGTERM', () => { sleeper.kill('SIGKILL'); process.exit(143); });
  console.log('sleeper ' + sleeper.pid);
  setInterval(() => {}, 1000);
`;

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--require', watchdog, '-e', HANGING], {
    env: { ...process.env, NODE_TEST_CONTEXT: '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const started = new Promise<number>((resolve) =>
    child.stdout.on('data', () => {
      const pid = /sleeper (\d+)/.exec(out)?.[1];
      if (pid) resolve(Number(pid));
    }),
  );
  const sleeper = () => started;
  return { child, exited, sleeper, stderr: () => err };
}

/** the process exists and is not a zombie waiting to be reaped */
const running = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('spec-file watchdog (scripts/test-watchdog.js, real child processes)', () => {
  it('stops a spec process that outlives TEST_FILE_TIMEOUT_MS: exit 124, its children killed, what it waited on printed', async () => {
    const p = start({ NODE_TEST_CONTEXT: 'child-v8', TEST_FILE_TIMEOUT_MS: '700' });
    const sleeper = await p.sleeper();
    assert.equal(await p.exited, 124);
    assert.match(p.stderr(), /\[watchdog\] .* still running after 700 ms/);
    assert.match(p.stderr(), /It waits on: .*Timeout/);
    await eventually(() => assert.equal(running(sleeper), false, 'its child process was killed'), {
      timeoutMs: 5000,
    });
  });

  for (const [what, env] of [
    ['outside the test runner (no NODE_TEST_CONTEXT)', { TEST_FILE_TIMEOUT_MS: '300' }],
    ['with TEST_FILE_TIMEOUT_MS=0', { NODE_TEST_CONTEXT: 'child-v8', TEST_FILE_TIMEOUT_MS: '0' }],
  ] as const)
    it(`arms nothing ${what}`, () => {
      assert.equal(arm(env), undefined);
    });

  it('arms a timer of TEST_FILE_TIMEOUT_MS inside the test runner (the kill itself is the first test)', () => {
    const timer = arm({ NODE_TEST_CONTEXT: 'child-v8', TEST_FILE_TIMEOUT_MS: '600000' });
    assert.ok(timer, 'armed');
    clearTimeout(timer);
  });
});
