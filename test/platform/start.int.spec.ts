/**
 * `npm start` end to end, as a user runs it: the whole stack from one command on a temporary DATA_DIR and
 * free ports. Checks the API's /health and the Web UI answer, a SIGKILLed worker is restarted and work goes
 * on, SIGINT leaves no process behind, and a second start finds the first run's workflows and events.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/platform/postgres';

const root = path.resolve(__dirname, '..', '..');

interface Stack {
  proc: ChildProcess;
  output: () => string;
  pids: Map<string, number>;
  tokens: Map<string, string>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  out: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; output tail:\n${out().split('\n').slice(-40).join('\n')}`);
}

async function startStack(env: Record<string, string>): Promise<Stack> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/platform/start.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const pids = new Map<string, number>();
  const tokens = new Map<string, string>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const m of out.matchAll(/\[start\] (\S+) running \(pid (\d+)/g)) pids.set(m[1]!, Number(m[2]));
    for (const m of out.matchAll(/export (\w+_TOKEN)='([^']+)'/g)) tokens.set(m[1]!, m[2]!);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const stack = { proc, output: () => out, pids, tokens };
  await waitFor(
    () => /order-saga is (up|starting)/.test(out) || proc.exitCode !== null,
    180_000,
    'the start banner',
    () => out,
  );
  assert.match(out, /order-saga is up/, 'the stack did not come up');
  return stack;
}

async function stopStack(stack: Stack): Promise<void> {
  if (stack.proc.exitCode !== null) return;
  const exited = new Promise((r) => stack.proc.once('exit', r));
  stack.proc.kill('SIGINT');
  await exited;
}

async function getJson(url: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${url}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function pollOrder(
  api: string,
  token: string,
  orderId: string,
  want: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const res = await fetch(`${api}/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) {
      last = (await res.json()) as Record<string, unknown>;
      if (last.status === want) return last;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`order ${orderId} did not reach ${want}: ${JSON.stringify(last)}`);
}

describe('npm start', { timeout: 600_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let stack: Stack | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-saga-start-'));
    fs.chmodSync(dataDir, 0o777);
    let metricsBase = await freePort();
    if (metricsBase > 60000) metricsBase = 40000 + (metricsBase % 10000);
    env = {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      CARRIER_PORT: String(await freePort()),
      METRICS_PORT_BASE: String(metricsBase),
      ORDER_CANCELLATION_WINDOW_MS: '0',
      LOG_LEVEL: 'warn',
    };
  });

  after(async () => {
    if (stack) await stopStack(stack);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('brings up the API and the Web UI, restarts a killed worker, and stops cleanly', async () => {
    stack = await startStack(env);
    const api = `http://127.0.0.1:${env.PORT}`;
    const health = await fetch(`${api}/health`);
    assert.equal(health.status, 200, await health.text());
    const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
    assert.equal(ui.status, 200);
    for (const name of ['ADMIN_TOKEN', 'ALICE_TOKEN', 'BOB_TOKEN'])
      assert.ok(stack.tokens.get(name), `${name} printed`);

    // SIGKILL the payments worker: the supervisor restarts it and an order still completes.
    const oldPid = stack.pids.get('payments')!;
    process.kill(oldPid, 'SIGKILL');
    await waitFor(
      () => (stack!.pids.get('payments') ?? oldPid) !== oldPid,
      30_000,
      'the payments worker to restart',
      stack.output,
    );

    const res = await fetch(`${api}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.tokens.get('ALICE_TOKEN')}`,
        'content-type': 'application/json',
        'idempotency-key': 'start-test-1',
      },
      body: JSON.stringify({
        items: [{ sku: 'SKU-CABLE', quantity: 1 }],
        shippingAddress: {
          name: 'Alice',
          line1: '1 Main St',
          city: 'Springfield',
          postalCode: '12345',
          country: 'US',
        },
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { orderId } = (await res.json()) as { orderId: string };
    const order = await pollOrder(api, stack.tokens.get('ALICE_TOKEN')!, orderId, 'COMPLETED', 120_000);
    assert.equal(order.status, 'COMPLETED');
    const events = await getJson(`${api}/orders/${orderId}/events`, stack.tokens.get('ALICE_TOKEN')!);
    const eventCount = (events.items as unknown[]).length;
    assert.ok(eventCount >= 2, 'the order has an event history');

    // Ctrl-C: everything stops, no process left behind.
    const pids = [...stack.pids.values()];
    await stopStack(stack);
    stack = undefined;
    await new Promise((r) => setTimeout(r, 500));
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still running after SIGINT`);
    assert.equal(
      fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid')),
      false,
      'Postgres still running',
    );

    // Start again on the same DATA_DIR: the workflow and every event are still there.
    stack = await startStack(env);
    const again = await pollOrder(api, stack.tokens.get('ALICE_TOKEN')!, orderId, 'COMPLETED', 30_000);
    assert.equal(again.status, 'COMPLETED');
    const eventsAgain = await getJson(`${api}/orders/${orderId}/events`, stack.tokens.get('ALICE_TOKEN')!);
    assert.equal((eventsAgain.items as unknown[]).length, eventCount);
    const described = await fetch(
      `http://127.0.0.1:${env.TEMPORAL_UI_PORT}/api/v1/namespaces/default/workflows/order-${orderId}`,
    );
    assert.equal(described.status, 200, 'the Temporal dev server kept the workflow across the restart');
  });
});
