import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sagaStateQuery } from '../../src/workflows/contracts';
import {
  TEST_TUNING,
  balanceOf,
  statesOf,
  within,
  orderInput,
  seed,
  startSaga,
  startSagaStack,
  stockOf,
  type SagaStack,
} from './harness';

const root = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function breakerGauge(stack: SagaStack): Promise<number | undefined> {
  const metric = await stack.registry.getSingleMetric('circuit_breaker_state')?.get();
  return metric?.values.find((v) => v.labels['dependency'] === 'carrier')?.value;
}

describe('saga resilience: carrier outage behind the breaker, payments worker killed mid-flight', () => {
  let stack: SagaStack;
  let child: ChildProcess | undefined;
  before(async () => {
    // the payments worker runs as a child process in the crash test; the others in this process
    stack = await startSagaStack({ inProcess: ['orders', 'inventory', 'shipping'] });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await stack?.stop();
  });

  const metricsPort = 20000 + Math.floor(Math.random() * 8000);
  function startPaymentsWorker(): ChildProcess {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/workers/payments.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: stack.pg.url,
        TEMPORAL_ADDRESS: stack.env.address,
        TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
        WORKER_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return p;
  }
  async function waitForHealth(): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(`http://127.0.0.1:${metricsPort}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      await sleep(100);
    }
    throw new Error('payments worker did not become healthy');
  }

  it('SIGKILL of the payments worker while charges are in flight: every saga finishes, nobody is charged twice', async (t) => {
    child = startPaymentsWorker();
    await waitForHealth();
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /circuit_breaker_state|saga_started_total/, 'saga metrics are served');
    assert.match(metrics, /temporal_/, "the SDK's own worker metrics are proxied into /metrics");

    const s = await seed(stack, { stock: 100, balance: 0 });
    const customers = Array.from({ length: 20 }, (_, i) => `${s.customerId}-${i}`);
    for (const c of customers)
      await stack.services.payments.deposit({ customerId: c, amount: 5_000, depositId: `${c}-d` });
    const handles = await Promise.all(
      customers.map((customerId) =>
        startSaga(
          stack,
          orderInput({ ...s, customerId }, { tuning: { ...TEST_TUNING, attemptTimeoutMs: 3000 } }),
        ),
      ),
    );
    // kill as soon as the first charge has landed: the others are queued or in flight
    for (let i = 0; i < 400; i++) {
      const balances = await Promise.all(customers.map((c) => balanceOf(stack, c)));
      if (balances.some((b) => b < 5_000)) break;
      await sleep(10);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    const chargedAtKill = (await Promise.all(customers.map((c) => balanceOf(stack, c)))).filter(
      (b) => b < 5_000,
    );
    assert.ok(chargedAtKill.length < customers.length, 'some charges were still outstanding at the kill');
    t.diagnostic(`charged when the worker was killed: ${chargedAtKill.length}/${customers.length}`);

    await sleep(500);
    child = startPaymentsWorker();
    const results = await within(Promise.all(handles.map((h) => h.result())), 240_000, () =>
      statesOf(handles),
    );
    assert.ok(
      results.every((r) => r.status === 'COMPLETED'),
      JSON.stringify(results.map((r) => r.status)),
    );
    for (const c of customers) {
      assert.equal(await balanceOf(stack, c), 5_000 - s.price, c);
      const charges = (await stack.services.payments.getAccountEvents(c)).filter(
        (e) => e.type === 'AccountCharged',
      );
      assert.equal(charges.length, 1, `${c} charged once`);
    }
    assert.deepEqual(await stockOf(stack, s.sku), { available: 80, reserved: 0, shipped: 20 });
  });

  it('carrier failing 100% for a while: the breaker opens (metric), orders wait, and complete after recovery', async () => {
    const s = await seed(stack, { stock: 10, balance: 50_000 });
    stack.carrier.behaviour.failureRate = 1;
    const handles = await Promise.all(
      [1, 2, 3].map(() =>
        startSaga(stack, orderInput(s, { tuning: { ...TEST_TUNING, shipmentBudgetMs: 120_000 } })),
      ),
    );
    try {
      for (let i = 0; i < 300 && (await breakerGauge(stack)) !== 1; i++) await sleep(50);
      assert.equal(await breakerGauge(stack), 1, 'circuit_breaker_state{dependency="carrier"} = 1 (open)');
      await sleep(1500); // the outage lasts: the sagas keep waiting, Temporal retries with backoff
      for (const h of handles) assert.equal((await h.query(sagaStateQuery)).state, 'AWAITING_SHIPMENT');
    } finally {
      stack.carrier.behaviour.failureRate = 0;
    }
    const results = await within(Promise.all(handles.map((h) => h.result())), 240_000, () =>
      statesOf(handles),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['COMPLETED', 'COMPLETED', 'COMPLETED'],
    );
    assert.equal(await breakerGauge(stack), 0, 'closed again');
    const transitions = await stack.registry.getSingleMetric('circuit_breaker_transitions_total')?.get();
    assert.ok(transitions?.values.some((v) => v.labels['state'] === 'open' && v.value >= 1));
    assert.deepEqual(await stockOf(stack, s.sku), { available: 7, reserved: 0, shipped: 3 });
  });
});
