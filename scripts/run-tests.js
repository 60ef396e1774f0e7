#!/usr/bin/env node
// Runs the suite with Node's built-in test runner (through tsx), one level after another, each level named
// by the spec's suffix (README, Tests):
//   unit  *.unit.spec.ts  pure code, no server, no child process
//   int   *.int.spec.ts   real components (throwaway Temporal dev server, Postgres, Kafka, carrier) with the product
//                         code in the test process, or one product process under test (the API server, a worker)
//   e2e   *.e2e.spec.ts   the whole stack as a user or operator starts it (src/platform/start.ts or launchStack:
//                         Postgres, Temporal, carrier, four workers and the API as processes), directly or
//                         through an entry script (chaos, bench)
// Usage: npm test [-- <file filter substring>...]              every level: unit, then int, then e2e
//        npm run test:unit|test:int|test:e2e [-- <substring>...]  one level (--level=<level>)
// Every level runs even when an earlier one failed (not after Ctrl-C); the exit code is the first failure's.
// Each test has 10 minutes (--test-timeout); each spec file 25 minutes (TEST_FILE_TIMEOUT_MS, enforced by
// scripts/test-watchdog.js), so one hung file fails on its own instead of holding the run until CI's limit.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureTemporalCli } = require('./temporal-cli');
const { ensureKafka } = require('./kafka');

const root = path.resolve(__dirname, '..');
const roots = ['src', 'test', 'bench', 'chaos', 'scripts'];
const LEVELS = ['unit', 'int', 'e2e'];

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

/** The level a spec file names in its suffix, or undefined. */
const levelOf = (file) => /\.(unit|int|e2e)\.spec\.ts$/.exec(file)?.[1];

function plan(argv) {
  const levelArg = argv.find((a) => a.startsWith('--level='))?.slice('--level='.length);
  if (levelArg !== undefined && !LEVELS.includes(levelArg))
    throw new Error(`--level must be one of ${LEVELS.join(', ')}, not "${levelArg}"`);
  const filters = argv.filter((a) => !a.startsWith('-'));
  const all = roots.flatMap((r) => walk(path.join(root, r), [])).sort();
  const unnamed = all.filter((f) => !levelOf(f));
  if (unnamed.length)
    throw new Error(`a spec must end in .unit.spec.ts, .int.spec.ts or .e2e.spec.ts: ${unnamed.join(', ')}`);
  const files = filters.length ? all.filter((f) => filters.some((x) => f.includes(x))) : all;
  return (levelArg ? [levelArg] : LEVELS)
    .map((level) => ({ level, files: files.filter((f) => levelOf(f) === level) }))
    .filter((p) => p.files.length > 0);
}

function runLevel({ level, files }, concurrency) {
  console.error(
    `[test] ${level}: ${files.length} files, concurrency ${concurrency}, node ${process.version}`,
  );
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      // every spec file's process: stopped with its children when it outlives TEST_FILE_TIMEOUT_MS
      '--require',
      './scripts/test-watchdog.js',
      '--test',
      // a file ends when its tests and hooks did, even if a client left a socket or timer open
      '--test-force-exit',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=600000',
      '--test-reporter=spec',
      ...files,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL || 'silent' } },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  return { level, files: files.length, status: r.status ?? 1, signal: r.signal, seconds };
}

async function main() {
  const phases = plan(process.argv.slice(2));
  if (phases.length === 0) {
    console.error('no test files matched');
    return 1;
  }
  // unit specs need no Temporal or Kafka; the others find (or fetch and build) both once, before the first spec starts
  if (phases.some((p) => p.level !== 'unit')) {
    await ensureTemporalCli({ quietIfCached: true });
    await ensureKafka({ quietIfCached: true });
  }
  const concurrency = process.env.TEST_CONCURRENCY || '2';
  const results = [];
  for (const p of phases) {
    const r = runLevel(p, concurrency);
    results.push(r);
    if (r.signal) break; // interrupted (Ctrl-C): no further level
  }
  if (results.length > 1)
    for (const r of results)
      console.error(
        `[test] ${r.level}: ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status})`}, ${r.files} files, ${r.seconds} s`,
      );
  return results.find((r) => r.status !== 0)?.status ?? 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );

module.exports = { LEVELS, levelOf, plan };
