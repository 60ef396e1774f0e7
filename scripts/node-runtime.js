#!/usr/bin/env node
// Picks the Node.js the project runs under, so that no one has to install a particular Node first: the
// machine's own when package.json's `engines` allows it, otherwise Node 24 from the npm registry (the
// `node-<os>-<cpu>` package, which holds bin/node only, plus the `npm` package beside it), fetched once into
// the cache shared with the Temporal CLI (~/.cache/order-saga/node/v<version>, the layout of an official Node
// tarball). ORDER_SAGA_NODE=24 asks for Node 24 even where the machine's Node is allowed (CI sets it).
// Used by scripts/run.js (every npm script) and .ci/run:
//   node scripts/node-runtime.js --describe   one line: which Node will run, and where it comes from
//   node scripts/node-runtime.js --bin-dir    fetches it if needed, prints the directory to put on PATH
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { cacheDir } = require('./cache-dir');

const NODE_VERSION = '24.22.3';
const NPM_VERSION = '11.19.1';
const ROOT = path.resolve(__dirname, '..');

/** @param {string} v "v20.3.1" or "20.3.1" → [20, 3, 1] */
function parseVersion(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error(`not a Node version: ${v}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The minimum of package.json's engines.node, which must read ">=X.Y.Z". */
function enginesMinimum(pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))) {
  const range = pkg.engines && pkg.engines.node;
  const m = /^>=\s*(\d+\.\d+\.\d+)$/.exec(String(range).trim());
  if (!m) throw new Error(`package.json engines.node must read ">=X.Y.Z" (got ${JSON.stringify(range)})`);
  return m[1];
}

function atLeast(version, minimum) {
  const a = parseVersion(version);
  const b = parseVersion(minimum);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/**
 * Which Node to run under. Pure: the machine's version, the environment and the engines minimum in, a
 * decision out.
 * @returns {{ source: 'machine', version: string } | { source: 'registry', version: string, reason: string }}
 */
function plan({ machine = process.version, env = process.env, minimum = enginesMinimum() } = {}) {
  const wanted = env.ORDER_SAGA_NODE;
  const fetchable = String(parseVersion(NODE_VERSION)[0]);
  if (wanted !== undefined && wanted !== '') {
    if (!/^\d+$/.test(wanted)) throw new Error(`ORDER_SAGA_NODE must be a major version (got ${wanted})`);
    if (String(parseVersion(machine)[0]) === wanted && atLeast(machine, minimum))
      return { source: 'machine', version: machine };
    if (wanted !== fetchable)
      throw new Error(
        `ORDER_SAGA_NODE=${wanted}: the machine has ${machine}, and only Node ${fetchable} can be fetched`,
      );
    return { source: 'registry', version: `v${NODE_VERSION}`, reason: `ORDER_SAGA_NODE=${wanted}` };
  }
  if (atLeast(machine, minimum)) return { source: 'machine', version: machine };
  return {
    source: 'registry',
    version: `v${NODE_VERSION}`,
    reason: `the machine's ${machine} is older than package.json's engines (>=${minimum})`,
  };
}

function registryPackage(platform = process.platform, arch = process.arch) {
  return `node-${platform}-${arch}`;
}

function nodeHome(version = `v${NODE_VERSION}`) {
  return cacheDir('node', version);
}

function describe(p = plan()) {
  if (p.source === 'machine') return `node ${p.version} (the machine's, ${process.execPath})`;
  const cached = isRunnable(path.join(nodeHome(p.version), 'bin', 'node')) ? 'cached' : 'to fetch';
  return `node ${p.version} (from the npm registry: ${registryPackage()}@${p.version.slice(1)} with npm@${NPM_VERSION}, ${cached} in ${nodeHome(p.version)}; ${p.reason})`;
}

function isRunnable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function dirSizeMb(dir) {
  let bytes = 0;
  const walk = (d) => {
    let entries = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) bytes += fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
    }
  };
  walk(dir);
  return Math.round(bytes / 1e6);
}

/** Runs a command to the end; resolves with its exit code, its output kept for the error message. */
function run(command, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', (err) => resolve({ code: -1, out: String(err) }));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** npm as the running Node knows it: the one that started this script, else the one on PATH. */
function npmCommand(args) {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.js$/.test(cli)) return [process.execPath, [cli, ...args]];
  return ['npm', args];
}

async function fetchNode(version, log) {
  const home = nodeHome(version);
  const pkg = `${registryPackage()}@${version.slice(1)}`;
  fs.mkdirSync(path.dirname(home), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(home), `.${version}-`));
  const npmCache = path.join(staging, 'npm-cache');
  const started = Date.now();
  const secs = () => Math.round((Date.now() - started) / 1000);
  log(
    `[node] fetching ${pkg} and npm@${NPM_VERSION} from the npm registry (about 55 MB, first time only)...`,
  );
  let shown = 0;
  const timer = setInterval(() => {
    const mb = dirSizeMb(npmCache);
    if (mb !== shown) log(`[node]   ${mb} MB downloaded (${secs()} s)`);
    shown = mb;
  }, 2000);
  try {
    const [cmd, args] = npmCommand([
      'pack',
      pkg,
      `npm@${NPM_VERSION}`,
      '--pack-destination',
      staging,
      '--cache',
      npmCache,
      '--loglevel',
      'error',
    ]);
    const packed = await run(cmd, args);
    clearInterval(timer);
    if (packed.code !== 0) throw new Error(`npm pack ${pkg} failed:\n${packed.out.trim()}`);
    const tarballs = fs.readdirSync(staging).filter((f) => f.endsWith('.tgz'));
    const nodeTgz = tarballs.find((f) => f.startsWith(registryPackage()));
    const npmTgz = tarballs.find((f) => f.startsWith('npm-'));
    if (!nodeTgz || !npmTgz)
      throw new Error(`npm pack left ${tarballs.join(', ') || 'nothing'} in ${staging}`);
    log(`[node]   unpacking (${secs()} s)...`);
    const tree = path.join(staging, 'node');
    const npmDir = path.join(tree, 'lib', 'node_modules', 'npm');
    fs.mkdirSync(npmDir, { recursive: true });
    for (const [tgz, into] of [
      [nodeTgz, tree],
      [npmTgz, npmDir],
    ]) {
      const r = await run('tar', ['-xzf', path.join(staging, tgz), '-C', into, '--strip-components=1']);
      if (r.code !== 0) throw new Error(`unpacking ${tgz} failed:\n${r.out.trim()}`);
    }
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(tree, 'bin', 'npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(tree, 'bin', 'npx'));
    const check = await run(path.join(tree, 'bin', 'node'), ['--version']);
    if (check.out.trim() !== version)
      throw new Error(`the fetched node says ${check.out.trim() || check.code}`);
    try {
      fs.renameSync(tree, home); // atomic: a concurrent run sees no node or a whole one
    } catch (err) {
      if (!isRunnable(path.join(home, 'bin', 'node'))) throw err; // else another run got there first
    }
    log(`[node] Node ${version} ready in ${secs()} s: ${path.join(home, 'bin', 'node')}`);
  } finally {
    clearInterval(timer);
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Makes the planned Node available.
 * @returns {Promise<{ node: string, binDir: string, version: string, fetched: boolean }>}
 */
async function ensureNode({ log = (m) => process.stderr.write(m + '\n'), env = process.env } = {}) {
  const p = plan({ env });
  if (p.source === 'machine')
    return {
      node: process.execPath,
      binDir: path.dirname(process.execPath),
      version: p.version,
      fetched: false,
    };
  if (!['linux', 'darwin'].includes(process.platform))
    throw new Error(
      `Node ${process.version} is too old here and Node cannot be fetched on ${process.platform}: install Node 22 or 24.`,
    );
  const home = nodeHome(p.version);
  const node = path.join(home, 'bin', 'node');
  if (!isRunnable(node)) {
    log(`[node] ${p.reason}`);
    await fetchNode(p.version, log);
  }
  return { node, binDir: path.join(home, 'bin'), version: p.version, fetched: true };
}

/** The environment for processes that must run under a fetched Node (and its npm). */
function runtimeEnv(runtime, env = process.env) {
  if (!runtime.fetched) return { ...env };
  const home = path.dirname(runtime.binDir);
  const out = {
    ...env,
    PATH: `${runtime.binDir}${path.delimiter}${env.PATH ?? ''}`,
    npm_node_execpath: runtime.node,
    npm_execpath: path.join(home, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    // an addon built from source compiles against this Node's headers, not those an npmrc names
    npm_config_nodedir: home,
  };
  delete out.npm_config_node_gyp; // the outer npm's node-gyp; the fetched npm brings its own
  return out;
}

module.exports = {
  NODE_VERSION,
  NPM_VERSION,
  plan,
  describe,
  enginesMinimum,
  atLeast,
  ensureNode,
  runtimeEnv,
  registryPackage,
};

if (require.main === module) {
  const flag = process.argv[2];
  if (flag === '--describe') {
    try {
      process.stdout.write(describe() + '\n');
    } catch (err) {
      process.stderr.write(`[node] ${err.message}\n`);
      process.exit(1);
    }
  } else if (flag === '--bin-dir') {
    ensureNode().then(
      (r) => process.stdout.write(r.binDir + '\n'),
      (err) => {
        process.stderr.write(`[node] ${err.message}\n`);
        process.exit(1);
      },
    );
  } else {
    process.stderr.write('usage: node scripts/node-runtime.js --describe | --bin-dir\n');
    process.exit(2);
  }
}
