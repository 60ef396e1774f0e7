/**
 * Contract fuzz run: schemathesis generates requests from the served /openapi.json (positive mode: only
 * requests the contract allows) for the operations below and sends them to a stack of our own; this script
 * counts how the API answered. A contract as strict as the validation means no generated request is
 * rejected with 400. Exits 1 when one is (and prints them). Usage: npm run test:contract [-- --examples N]
 * Needs python3 (schemathesis is installed from PyPI into the user's cache on first use).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isolatedStackEnv, launchStack, ROOT, waitForHttp } from '../src/platform/stack';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureSchemathesis } = require(path.join(ROOT, 'scripts', 'ensure-schemathesis.js')) as {
  ensureSchemathesis: () => string;
};

/** The operations fuzzed: path template, method and operationId in docs/openapi.json. */
const OPERATIONS = [
  { id: 'getAccount', method: 'GET', path: /^\/accounts\/[^/]+$/ },
  { id: 'restock', method: 'POST', path: /^\/inventory\/[^/]+\/restock$/ },
  { id: 'placeOrder', method: 'POST', path: /^\/orders$/ },
] as const;

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number; content?: { text?: string } };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** The problem type (its last path segment) or the status, as the key an answer is counted under. */
function outcome(entry: HarEntry): string {
  const status = entry.response.status;
  if (status < 300) return String(status);
  try {
    const body = JSON.parse(entry.response.content?.text ?? '') as { type?: string };
    if (body.type) return `${status} ${body.type.split('/').pop()}`;
  } catch {
    /* not a problem document */
  }
  return String(status);
}

async function main(): Promise<number> {
  const st = ensureSchemathesis();
  const examples = arg('examples', '100');
  const seed = arg('seed', '1');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'order-saga-contract-'));
  const isolated = await isolatedStackEnv('contract');
  const env = { ...process.env, ...isolated, LOG_LEVEL: 'warn' };
  process.stderr.write(`[contract] starting a stack of its own (data in ${isolated.DATA_DIR})...\n`);
  const childLog = path.join(out, 'stack.log');
  const stack = await launchStack({
    env,
    say: (m) => process.stderr.write(`[contract] ${m}\n`),
    onChildLine: (name, line) => fs.appendFileSync(childLog, `${name}: ${line}\n`),
  });
  let rejected = 0;
  try {
    // a loaded machine can take longer than launchStack waits: give the API a few more minutes
    const up = stack.apiUp || (await waitForHttp(`${stack.apiUrl}/health`, 240_000));
    if (!up) throw new Error(`the API did not come up (its processes' output: ${childLog})`);
    const admin = (await stack.credentials()).find((c) => c.envName === 'ADMIN_TOKEN')!.token;
    const har = path.join(out, 'requests.har');
    const r = spawnSync(
      st,
      [
        'run',
        `${stack.apiUrl}/openapi.json`,
        '--mode=positive',
        '--phases=examples,coverage,fuzzing',
        `--max-examples=${examples}`,
        `--seed=${seed}`,
        '--generation-database=none',
        '--checks=not_a_server_error',
        '--workers=1',
        '--no-color',
        '--report=har',
        `--report-har-path=${har}`,
        '--header',
        `Authorization: Bearer ${admin}`,
        ...OPERATIONS.flatMap((o) => ['--include-operation-id', o.id]),
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        cwd: out,
        env: { ...process.env, SCHEMATHESIS_HOOKS: path.join(ROOT, 'scripts', 'contract-hooks.py') },
      },
    );
    if (!fs.existsSync(har)) throw new Error(`schemathesis wrote no report (exit ${r.status})`);
    const entries = (JSON.parse(fs.readFileSync(har, 'utf8')) as { log: { entries: HarEntry[] } }).log
      .entries;
    const lines: string[] = [];
    for (const op of OPERATIONS) {
      const mine = entries.filter(
        (e) => e.request.method === op.method && op.path.test(new URL(e.request.url).pathname),
      );
      const counts = new Map<string, number>();
      for (const e of mine) counts.set(outcome(e), (counts.get(outcome(e)) ?? 0) + 1);
      const bad = mine.filter((e) => e.response.status === 400);
      rejected += bad.length;
      const summary = [...counts].sort().map(([k, n]) => `${k}: ${n}`);
      lines.push(
        `${op.method} ${op.id}: ${mine.length} requests, ${bad.length} rejected by validation (400)`,
      );
      lines.push(`  ${summary.join(', ')}`);
      for (const e of bad.slice(0, 5)) {
        lines.push(
          `  400 for ${e.request.method} ${e.request.url}: ${e.response.content?.text?.slice(0, 300)}`,
        );
      }
    }
    process.stdout.write(
      `\n[contract] schemathesis positive mode, seed ${seed}, up to ${examples} examples per phase\n`,
    );
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(
      `[contract] ${rejected} generated request(s) rejected by validation; report: ${har}\n`,
    );
  } finally {
    await stack.stop();
  }
  return rejected === 0 ? 0 : 1;
}

// exit explicitly: the embedded Postgres' own exit hooks would otherwise decide the code
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
