#!/usr/bin/env node
// Finds Debian's Chromium for the browser test, installing it with apt-get where missing (as root).
// Playwright's own browser download cannot work here (no internet beyond package registries).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  Boolean,
);

function findChromium() {
  return CANDIDATES.find((p) => fs.existsSync(p));
}

function ensureChromium(log = (m) => process.stderr.write(m + '\n')) {
  const found = findChromium();
  if (found) return found;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      'Chromium is missing: install it with `sudo apt-get install chromium` or set CHROMIUM_PATH.',
    );
  }
  log('[chromium] not found; installing Debian package chromium (apt-get)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error('apt-get update failed');
  r = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error('apt-get install chromium failed');
  const after = findChromium();
  if (!after) throw new Error('chromium installed but not found at /usr/bin/chromium');
  return after;
}

module.exports = { ensureChromium, findChromium };

if (require.main === module) {
  try {
    process.stdout.write(ensureChromium() + '\n');
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
