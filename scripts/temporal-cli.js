#!/usr/bin/env node
// Finds or builds the Temporal CLI (which contains the dev server and its Web UI).
// Order: $TEMPORAL_CLI_PATH → cached build under the user's cache dir (keyed by version) →
// `go install github.com/temporalio/cli/cmd/temporal@<version>` into that cache → a clear error.
// Used by `npm start`, `npm test` (pretest) and .ci/run; importable as ensureTemporalCli().
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cacheDir } = require('./cache-dir');

const DEFAULT_VERSION = 'v1.5.1';
const FALLBACK_VERSIONS = ['v1.5.0', 'v1.4.1'];

function cacheRoot() {
  return cacheDir('temporal-cli');
}

function cachedPath(version) {
  return path.join(cacheRoot(), version, 'temporal');
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function installHelp(extra) {
  return [
    'Could not find or build the Temporal CLI.',
    extra ? `  ${extra}` : '',
    'Fix it one of these ways:',
    '  - set TEMPORAL_CLI_PATH to an existing `temporal` binary, or',
    `  - install Go (https://go.dev/dl) so this script can run \`go install github.com/temporalio/cli/cmd/temporal@${DEFAULT_VERSION}\`, or`,
    '  - point TEMPORAL_ADDRESS at a running Temporal server (npm start only).',
  ]
    .filter(Boolean)
    .join('\n');
}

function goInstall(version, log) {
  return new Promise((resolve) => {
    const target = path.join(cacheRoot(), version);
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-cli-'));
    log(
      `[temporal-cli] building github.com/temporalio/cli/cmd/temporal@${version} with Go (first time only; takes a few minutes)...`,
    );
    const started = Date.now();
    const child = spawn('go', ['install', '-v', `github.com/temporalio/cli/cmd/temporal@${version}`], {
      env: {
        ...process.env,
        GOBIN: staging,
        GOFLAGS: '-mod=mod',
        CGO_ENABLED: process.env.CGO_ENABLED ?? '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let packages = 0;
    let lastTail = '';
    const onData = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        lastTail = (lastTail + '\n' + line).split('\n').slice(-15).join('\n');
        if (line.startsWith('go: downloading')) continue;
        packages += 1;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      log(
        `[temporal-cli] still building: ${packages} packages compiled, ${Math.round((Date.now() - started) / 1000)}s elapsed`,
      );
    }, 15000);
    child.on('error', (err) => {
      clearInterval(timer);
      resolve({
        ok: false,
        reason: err.code === 'ENOENT' ? 'Go is not installed (no `go` on PATH).' : String(err),
      });
    });
    child.on('close', (code) => {
      clearInterval(timer);
      const built = path.join(staging, 'temporal');
      if (code !== 0 || !isExecutable(built)) {
        resolve({ ok: false, reason: `go install exited with ${code}:\n${lastTail}` });
        return;
      }
      fs.mkdirSync(target, { recursive: true });
      const tmp = path.join(target, `temporal.${process.pid}.tmp`);
      fs.copyFileSync(built, tmp);
      fs.chmodSync(tmp, 0o755);
      fs.renameSync(tmp, path.join(target, 'temporal')); // atomic: concurrent callers never see half a file
      fs.rmSync(staging, { recursive: true, force: true });
      log(
        `[temporal-cli] built ${version} in ${Math.round((Date.now() - started) / 1000)}s → ${path.join(target, 'temporal')}`,
      );
      resolve({ ok: true, path: path.join(target, 'temporal') });
    });
  });
}

/**
 * @param {{ log?: (msg: string) => void, quietIfCached?: boolean }} [opts]
 * @returns {Promise<string>} absolute path of a runnable `temporal` binary
 */
async function ensureTemporalCli(opts = {}) {
  const log = opts.log ?? ((msg) => process.stderr.write(msg + '\n'));
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv))
      throw new Error(installHelp(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file.`));
    return path.resolve(fromEnv);
  }
  const version = process.env.TEMPORAL_CLI_VERSION || DEFAULT_VERSION;
  const candidates = [version, ...FALLBACK_VERSIONS.filter((v) => v !== version)];
  for (const v of candidates) {
    if (isExecutable(cachedPath(v))) {
      if (!opts.quietIfCached) log(`[temporal-cli] using cached ${v}: ${cachedPath(v)}`);
      return cachedPath(v);
    }
  }
  const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
  if (!hasGo) throw new Error(installHelp('Go is not installed (no `go` on PATH).'));
  const reasons = [];
  for (const v of candidates) {
    const result = await goInstall(v, log);
    if (result.ok) return result.path;
    reasons.push(`${v}: ${result.reason}`);
    log(`[temporal-cli] building ${v} failed; trying the next version`);
  }
  throw new Error(installHelp(reasons.join('\n')));
}

module.exports = { ensureTemporalCli, cachedPath, DEFAULT_VERSION };

if (require.main === module) {
  ensureTemporalCli({ quietIfCached: process.argv.includes('--quiet-if-cached') }).then(
    (p) => {
      if (!process.argv.includes('--quiet-if-cached')) process.stdout.write(p + '\n');
    },
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
