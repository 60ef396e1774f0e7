#!/usr/bin/env node
// Finds or builds the real Temporal server for the cluster profile (`npm start -- --cluster`,
// `npm run test:cluster`): the server (`temporal-server`), its SQL schema tool (`temporal-sql-tool`) and the
// Web UI server (`ui-server`). Each is built once with
// `go install <module>/<main package>@<version>` (GOTOOLCHAIN=local, CGO_ENABLED=0) into the user's cache
// (keyed by version, beside the Temporal CLI) and found there afterwards. Importable as ensureTemporalServer().
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cacheDir } = require('./cache-dir');

/** The versions the cluster profile and docker-compose.yml run (the compose spec checks the images). */
const SERVER_VERSION = 'v1.32.1';
const UI_VERSION = 'v2.55.0';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

const BUILDS = {
  server: {
    version: SERVER_VERSION,
    dir: 'temporal-server',
    // package → name of the binary in the cache
    packages: {
      [`${SERVER_MODULE}/cmd/server`]: 'temporal-server',
      [`${SERVER_MODULE}/cmd/tools/sql`]: 'temporal-sql-tool',
    },
  },
  ui: {
    version: UI_VERSION,
    dir: 'temporal-ui-server',
    packages: { [`${UI_MODULE}/cmd/server`]: 'ui-server' },
  },
};

function targetDir(build) {
  return cacheDir(build.dir, build.version);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function paths() {
  const server = targetDir(BUILDS.server);
  const ui = targetDir(BUILDS.ui);
  return {
    serverVersion: SERVER_VERSION,
    uiVersion: UI_VERSION,
    server: path.join(server, 'temporal-server'),
    sqlTool: path.join(server, 'temporal-sql-tool'),
    uiServer: path.join(ui, 'ui-server'),
  };
}

function complete(build) {
  const dir = targetDir(build);
  return Object.values(build.packages).every((name) => isExecutable(path.join(dir, name)));
}

function installHelp(extra) {
  return [
    'Could not build the Temporal server / UI server for the cluster profile.',
    extra ? `  ${extra}` : '',
    `It needs Go (https://go.dev/dl) and the Go module proxy to run \`go install ${SERVER_MODULE}/cmd/server@${SERVER_VERSION}\``,
    `and \`go install ${UI_MODULE}/cmd/server@${UI_VERSION}\`; the default \`npm start\` (the dev server) does not.`,
  ]
    .filter(Boolean)
    .join('\n');
}

function goEnv(extra = {}) {
  return {
    ...process.env,
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-mod=mod -buildvcs=false',
    CGO_ENABLED: '0',
    ...extra,
  };
}

/** `go install` of a build's packages into a staging dir, then atomic renames into the cache. */
function goInstall(build, log) {
  return new Promise((resolve) => {
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), `${build.dir}-`));
    const specs = Object.keys(build.packages).map((pkg) => `${pkg}@${build.version}`);
    log(`[temporal-server] building ${specs.join(' ')} with Go (first time only; takes several minutes)...`);
    const started = Date.now();
    const child = spawn('go', ['install', '-v', ...specs], {
      env: goEnv({ GOBIN: staging }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let packages = 0;
    let tail = '';
    const onData = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail = (tail + '\n' + line).split('\n').slice(-15).join('\n');
        if (!line.startsWith('go: downloading')) packages += 1;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      const s = Math.round((Date.now() - started) / 1000);
      log(`[temporal-server] still building ${build.dir}: ${packages} packages compiled, ${s}s elapsed`);
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
      const built = Object.keys(build.packages).map((pkg) => path.join(staging, path.basename(pkg)));
      // two main packages both named `server` would overwrite each other: one build per module keeps them apart
      if (code !== 0 || !built.every(isExecutable)) {
        resolve({ ok: false, reason: `go install exited with ${code}:\n${tail}` });
        return;
      }
      const target = targetDir(build);
      fs.mkdirSync(target, { recursive: true });
      Object.values(build.packages).forEach((name, i) => {
        const tmp = path.join(target, `${name}.${process.pid}.tmp`);
        fs.copyFileSync(built[i], tmp);
        fs.chmodSync(tmp, 0o755);
        fs.renameSync(tmp, path.join(target, name)); // atomic: concurrent callers never see half a file
      });
      fs.rmSync(staging, { recursive: true, force: true });
      log(
        `[temporal-server] built ${build.dir} ${build.version} in ${Math.round((Date.now() - started) / 1000)}s → ${target}`,
      );
      resolve({ ok: true });
    });
  });
}

/**
 * @param {{ log?: (msg: string) => void, quietIfCached?: boolean }} [opts]
 * @returns {Promise<ReturnType<typeof paths>>} absolute paths of the server, the schema tool and the UI server
 */
async function ensureTemporalServer(opts = {}) {
  const log = opts.log ?? ((msg) => process.stderr.write(msg + '\n'));
  if (complete(BUILDS.server) && complete(BUILDS.ui)) {
    if (!opts.quietIfCached) log(`[temporal-server] using cached ${SERVER_VERSION} and UI ${UI_VERSION}`);
    return paths();
  }
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(installHelp('Go is not installed (no `go` on PATH).'));
  }
  for (const build of [BUILDS.server, BUILDS.ui]) {
    if (complete(build)) continue;
    const result = await goInstall(build, log);
    if (!result.ok) throw new Error(installHelp(result.reason));
  }
  return paths();
}

module.exports = { ensureTemporalServer, temporalServerPaths: paths, SERVER_VERSION, UI_VERSION };

if (require.main === module) {
  const quiet = process.argv.includes('--quiet-if-cached');
  ensureTemporalServer({ quietIfCached: quiet }).then(
    (p) => {
      if (!quiet) process.stdout.write(JSON.stringify(p, null, 2) + '\n');
    },
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
