#!/usr/bin/env node
// Installs npm packages (npm ci) when node_modules is missing, older than package-lock.json, or stamped as
// installed under another Node ABI than the one running, so that every npm script works on a fresh clone
// with no other step first. scripts/run.js calls it before each script; run on its own, it goes through run.js too, so the
// install happens under the Node the project runs on (Node 24 where the machine's is too old).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lock = path.join(root, 'package-lock.json');
const marker = path.join(root, 'node_modules', '.package-lock.json');
// which Node ABI installed node_modules (native addons and install scripts depend on it)
const abiStamp = path.join(root, 'node_modules', '.order-saga-node-abi');

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function installedAbi() {
  try {
    return fs.readFileSync(abiStamp, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Why node_modules must be (re)installed, or undefined when it is up to date. */
function staleReason() {
  if (mtime(marker) < 0 || !fs.existsSync(path.join(root, 'node_modules', 'tsx')))
    return 'node_modules missing';
  if (mtime(marker) < mtime(lock)) return 'package-lock.json changed';
  const abi = installedAbi();
  if (abi !== undefined && abi !== process.versions.modules)
    return `installed under Node ABI ${abi}, running ${process.version} (ABI ${process.versions.modules})`;
  return undefined;
}

/** npm under the running Node: the one named by npm_execpath (set by npm and by run.js), else PATH's. */
function npm(args) {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.js$/.test(cli))
    return spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  return spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
}

function ensureDeps(log = (m) => process.stderr.write(m + '\n')) {
  const reason = staleReason();
  if (!reason) {
    // no stamp: installed by a plain `npm ci` (the Dockerfile, a person); taken as installed by this Node
    if (installedAbi() === undefined) fs.writeFileSync(abiStamp, process.versions.modules + '\n');
    return;
  }
  log(`[deps] installing npm packages under node ${process.version} (npm ci; ${reason})...`);
  const r = npm(['ci', '--no-audit', '--no-fund']);
  if (r.status !== 0) throw new Error(`npm ci failed (exit ${r.status ?? r.signal ?? r.error})`);
  fs.writeFileSync(abiStamp, process.versions.modules + '\n');
}

module.exports = { ensureDeps, staleReason };

if (require.main === module) {
  // scripts/run.js with no command: pick the Node, then install under it
  require('./run')
    .main([])
    .catch((err) => {
      process.stderr.write(`[deps] ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
