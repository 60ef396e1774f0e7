#!/usr/bin/env node
// Finds the schemathesis CLI for the contract fuzz run (npm run test:contract), installing a pinned version
// from PyPI into a Python venv under the user's cache dir (beside the Temporal CLI) where it is missing.
// Needs python3 with the venv module. Prints the path of the `st` executable.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const VERSION = '4.32.5';

function venvDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'order-saga', `schemathesis-${VERSION}`);
}

function ensureSchemathesis(log = (m) => process.stderr.write(m + '\n')) {
  if (process.env.SCHEMATHESIS_PATH) return process.env.SCHEMATHESIS_PATH;
  const dir = venvDir();
  const st = path.join(dir, 'bin', 'st');
  if (fs.existsSync(st)) return st;
  log(`[schemathesis] installing schemathesis ${VERSION} from PyPI into ${dir} ...`);
  let r = spawnSync('python3', ['-m', 'venv', dir], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('python3 -m venv failed: python3 with the venv module is needed');
  r = spawnSync(path.join(dir, 'bin', 'pip'), ['install', '-q', `schemathesis==${VERSION}`], {
    stdio: 'inherit',
  });
  if (r.status !== 0 || !fs.existsSync(st)) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error('pip install schemathesis failed');
  }
  return st;
}

module.exports = { ensureSchemathesis, VERSION };

if (require.main === module) process.stdout.write(ensureSchemathesis() + '\n');
