#!/usr/bin/env node
// Installs npm packages when node_modules is missing or older than package-lock.json, so that
// `npm start` and `npm test` work on a fresh clone with no other step first.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lock = path.join(root, 'package-lock.json');
const marker = path.join(root, 'node_modules', '.package-lock.json');

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

const needsInstall =
  mtime(marker) < 0 || mtime(marker) < mtime(lock) || !fs.existsSync(path.join(root, 'node_modules', 'tsx'));
if (needsInstall) {
  process.stderr.write('[deps] installing npm packages (npm ci)...\n');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('[deps] npm ci failed\n');
    process.exit(r.status ?? 1);
  }
}
