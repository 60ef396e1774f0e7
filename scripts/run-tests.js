#!/usr/bin/env node
// Runs the whole suite with Node's built-in test runner (through tsx): unit specs (*.unit.spec.ts) and
// integration specs (*.int.spec.ts, which start their own Temporal dev server, Postgres and Kafka broker).
// Usage: npm test [-- <file filter substring>...]   e.g. `npm test -- eventstore`
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureTemporalCli } = require('./temporal-cli');
const { ensureKafka } = require('./kafka');

const root = path.resolve(__dirname, '..');
const roots = ['src', 'test', 'bench', 'chaos', 'scripts'];

function walk(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.spec\.ts$/.test(e.name)) out.push(path.relative(root, p));
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
let files = roots.flatMap((r) => walk(path.join(root, r), [])).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
// Unit specs first: they are fast and fail early.
files.sort((a, b) => Number(!a.includes('.unit.')) - Number(!b.includes('.unit.')) || a.localeCompare(b));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY || '2';
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=600000',
  '--test-reporter=spec',
  ...files,
];
const tools = ensureTemporalCli({ quietIfCached: true }).then(() => ensureKafka({ quietIfCached: true }));
tools.then(
  () => {
    console.error(`[test] ${files.length} files, concurrency ${concurrency}, node ${process.version}`);
    const r = spawnSync(process.execPath, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL || 'silent' },
    });
    process.exit(r.status ?? 1);
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
