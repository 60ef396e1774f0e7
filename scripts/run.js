#!/usr/bin/env node
// The launcher every npm script goes through (`node scripts/run.js <command> [args...]`), so that each one
// works on a fresh clone with no other step first:
//   1. picks the Node the project runs under (scripts/node-runtime.js: the machine's when package.json's
//      engines allows it, else Node 24 fetched from the npm registry) and starts itself again under it;
//   2. installs npm packages when they are missing or stale (scripts/ensure-deps.js), under that Node;
//   3. replaces itself with <command> (`node` means this Node), node_modules/.bin first on PATH.
// With no command it stops after step 2.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureNode, runtimeEnv } = require('./node-runtime');

const ROOT = path.resolve(__dirname, '..');
const RELAUNCHED = 'ORDER_SAGA_RUN_RELAUNCHED';

function fail(message) {
  process.stderr.write(`[run] ${message}\n`);
  process.exit(1);
}

/** Absolute path of a command, looked up on PATH as a shell would. */
function which(command, envPath) {
  if (command.includes('/')) return path.resolve(command);
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', command);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * Runs a command in this process's place: exec (same pid, the caller's signals reach it) where Node has
 * process.execve, else a child whose exit code or signal becomes ours, with termination signals passed on.
 */
function handOver(file, args, env) {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
  if (typeof process.execve === 'function') {
    process.execve(file, [path.basename(file), ...args], clean); // does not return
  }
  const child = spawn(file, args, { stdio: 'inherit', env: clean });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => child.kill(signal);
  for (const s of signals) process.on(s, forward);
  child.on('error', (err) => fail(`${file}: ${err.message}`));
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

async function main(argv) {
  const [command, ...args] = argv;
  const runtime = await ensureNode();
  if (runtime.node !== process.execPath) {
    if (process.env[RELAUNCHED]) fail(`started under ${runtime.node} but running ${process.execPath}`);
    handOver(runtime.node, [__filename, ...argv], { ...runtimeEnv(runtime), [RELAUNCHED]: '1' });
    return;
  }
  require('./ensure-deps').ensureDeps();
  if (!command) return;
  const env = { ...process.env };
  delete env[RELAUNCHED];
  env.PATH = [path.join(ROOT, 'node_modules', '.bin'), path.dirname(process.execPath), env.PATH]
    .filter(Boolean)
    .join(path.delimiter);
  const file = command === 'node' ? process.execPath : which(command, env.PATH);
  if (!file) fail(`${command}: command not found on PATH`);
  handOver(file, args, env);
}

module.exports = { main, which };

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => fail(err instanceof Error ? err.message : String(err)));
}
