/**
 * The whole stack as a user runs it (`npm start`'s src/platform/start.ts, from TypeScript through tsx) on a
 * temporary DATA_DIR and free ports, for the browser and `npm start` tests: start it, read the demo tokens
 * and child pids it prints, call the API, stop it with Ctrl-C (SIGINT) and remove the data.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isolatedStackEnv } from '../../src/platform/stack';
import { eventually } from './eventually';

const ROOT = path.resolve(__dirname, '..', '..');

export interface RunningStack {
  proc: ChildProcess;
  env: Record<string, string>;
  dataDir: string;
  apiUrl: string;
  uiUrl: string;
  tokens: Map<string, string>;
  /** child name → pid, from the "[start] <name> running (pid N)" lines (a restart updates it) */
  pids: Map<string, number>;
  output: () => string;
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string, out: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; output tail:\n${out().split('\n').slice(-40).join('\n')}`);
}

/** Starts a stack; pass a previous stack's `env` to start again on the same data and ports. */
export async function startStack(extraEnv: Record<string, string> = {}): Promise<RunningStack> {
  const env: Record<string, string> = {
    ...(extraEnv.DATA_DIR ? {} : await isolatedStackEnv('stack')),
    ORDER_CANCELLATION_WINDOW_MS: '0',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const dataDir = env.DATA_DIR!;
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/platform/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const tokens = new Map<string, string>();
  const pids = new Map<string, number>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const m of out.matchAll(/export (\w+_TOKEN)='([^']+)'/g)) tokens.set(m[1]!, m[2]!);
    for (const m of out.matchAll(/\[start\] (\S+) running \(pid (\d+)/g)) pids.set(m[1]!, Number(m[2]));
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const stack: RunningStack = {
    proc,
    env,
    dataDir,
    apiUrl: `http://127.0.0.1:${env.PORT}`,
    uiUrl: `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`,
    tokens,
    pids,
    output: () => out,
  };
  try {
    // The banner comes once every child is started. It says "up" when the API answered /health within
    // launchStack's own bound (READY_TIMEOUT_MS), else "starting (API not answering yet)": on a loaded machine the API can
    // take longer. Ready is the positive markers themselves: /health answering 200 and the Web UI answering,
    // each waited for with a generous bound.
    await waitFor(
      () => /order-saga is (up|starting)/.test(out) || proc.exitCode !== null,
      420_000,
      'the start banner',
      () => out,
    );
    assert.match(out, /order-saga is (up|starting)/, `the stack did not start:\n${out.slice(-4000)}`);
    for (const [what, url] of [
      ['the API answering /health 200', `${stack.apiUrl}/health`],
      ['the Temporal Web UI answering 200', stack.uiUrl],
    ] as const)
      await eventually(
        async () => {
          assert.equal(proc.exitCode, null, `start exited:\n${out.slice(-4000)}`);
          const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
          assert.equal(res.status, 200, `${url}: ${res.status} ${(await res.text()).slice(0, 500)}`);
        },
        { what, timeoutMs: 240_000, intervalMs: 500 },
      );
  } catch (err) {
    await stopStack(stack);
    throw err;
  }
  return stack;
}

/** Ctrl-C, then removes the data unless `keepData` (to start again on it). */
export async function stopStack(stack: RunningStack, opts: { keepData?: boolean } = {}): Promise<void> {
  if (stack.proc.exitCode === null && stack.proc.signalCode === null) {
    const exited = new Promise((r) => stack.proc.once('exit', r));
    stack.proc.kill('SIGINT');
    await exited;
  }
  if (!opts.keepData) fs.rmSync(stack.dataDir, { recursive: true, force: true });
}

export interface PlacedOrder {
  orderId: string;
  workflowId: string;
}

export async function placeOrder(
  stack: RunningStack,
  tokenName: string,
  items: { sku: string; quantity: number }[],
  country = 'US',
): Promise<PlacedOrder> {
  const res = await fetch(`${stack.apiUrl}/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${stack.tokens.get(tokenName)}`,
      'content-type': 'application/json',
      'idempotency-key': `web-ui-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    },
    body: JSON.stringify({
      items,
      shippingAddress: {
        name: 'Web UI test',
        line1: '1 Main St',
        city: 'Springfield',
        postalCode: '12345',
        country,
      },
    }),
  });
  assert.equal(res.status, 202, await res.clone().text());
  return (await res.json()) as PlacedOrder;
}

export async function waitForOrderStatus(
  stack: RunningStack,
  tokenName: string,
  orderId: string,
  want: string,
  timeoutMs = 120_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const res = await fetch(`${stack.apiUrl}/orders/${orderId}`, {
      headers: { authorization: `Bearer ${stack.tokens.get(tokenName)}` },
    });
    if (res.status === 200) {
      last = (await res.json()) as Record<string, unknown>;
      if (last.status === want) return last;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`order ${orderId} did not reach ${want}: ${JSON.stringify(last)}`);
}
