// Loaded into every spec file's process by scripts/run-tests.js (--require). A spec file that is still
// running after TEST_FILE_TIMEOUT_MS (default 25 minutes; 0 turns the watchdog off) is stopped: the
// watchdog prints what the process still waits on, SIGKILLs the processes it started (brokers, Postgres,
// Temporal dev servers, workers) and exits with 124, so the file fails on its own instead of holding the
// whole run until CI's limit. Node's --test-timeout bounds each test; nothing else bounds a hook or a
// teardown that never settles, or a process kept alive by a handle nobody closes.
'use strict';
const fs = require('node:fs');

/** Every process below `root` (children first found, then theirs), from /proc; [] where there is no /proc. */
function descendants(root) {
  let parents;
  try {
    parents = new Map();
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        // pid (comm) state ppid ...: comm may hold spaces or parentheses, so read after the last ')'
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parents.set(Number(name), ppid);
      } catch {
        // the process ended while we looked
      }
    }
  } catch {
    return [];
  }
  const out = [];
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift();
    for (const [pid, ppid] of parents)
      if (ppid === p) {
        out.push(pid);
        queue.push(pid);
      }
  }
  return out;
}

/** Arms the watchdog for this process; returns its timer, or undefined where it does not apply. */
function arm(env = process.env) {
  if (!env.NODE_TEST_CONTEXT) return undefined; // the runner itself, or a file run directly
  const limitMs = Number(env.TEST_FILE_TIMEOUT_MS ?? 25 * 60_000);
  if (!Number.isFinite(limitMs) || limitMs <= 0) return undefined;
  const file = process.argv.slice(1).find((a) => a.endsWith('.spec.ts')) ?? process.argv[1];
  const timer = setTimeout(() => {
    const waiting = process.getActiveResourcesInfo().join(', ');
    const children = descendants(process.pid);
    process.stderr.write(
      `[watchdog] ${file} still running after ${limitMs} ms (TEST_FILE_TIMEOUT_MS): stopping it. ` +
        `It waits on: ${waiting || 'nothing'}; killing ${children.length} child process(es): ${children.join(' ')}\n`,
    );
    for (const pid of children.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(124);
  }, limitMs);
  timer.unref(); // fires only while something else keeps the process alive, which is the case it is for
  return timer;
}

arm(); // once per process: a later require() of this file gets the cached module
module.exports = { arm };
