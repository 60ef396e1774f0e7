import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sagaStateQuery } from '../../src/workflows/contracts';
import { eventually } from '../support/eventually';
import {
  TEST_TUNING,
  activityOutcome,
  balanceOf,
  holdWrites,
  pendingActivity,
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

async function breakerGauge(stack: SagaStack): Promise<number | undefined> {
  const metric = await stack.registry.getSingleMetric('circuit_breaker_state')?.get();
  return metric?.values.find((v) => v.labels['dependency'] === 'carrier')?.value;
}

/** How often the carrier breaker entered each state so far (circuit_breaker_transitions_total). */
async function breakerTransitions(stack: SagaStack): Promise<Record<'open' | 'halfOpen' | 'closed', number>> {
  const metric = await stack.registry.getSingleMetric('circuit_breaker_transitions_total')?.get();
  const count = (state: string) =>
    metric?.values.find((v) => v.labels['dependency'] === 'carrier' && v.labels['state'] === state)?.value ??
    0;
  return { open: count('open'), halfOpen: count('halfOpen'), closed: count('closed') };
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
    await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/health`);
        assert.ok(res.ok, `health answered ${res.status}`);
      },
      { intervalMs: 100, what: 'the payments worker is healthy' },
    );
  }

  it('SIGKILL of the payments worker while charges are in flight (held at their write to payments.events): every saga finishes, nobody is charged twice', async (t) => {
    child = startPaymentsWorker();
    await waitForHealth();
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /circuit_breaker_state|saga_started_total/, 'saga metrics are served');
    assert.match(metrics, /temporal_/, "the SDK's own worker metrics are proxied into /metrics");

    const s = await seed(stack, { stock: 100, balance: 0 });
    const customers = Array.from({ length: 20 }, (_, i) => `${s.customerId}-${i}`);
    for (const c of customers)
      await stack.services.payments.deposit({ customerId: c, amount: 5_000, depositId: `${c}-d` });
    // the barrier: every charge stops at its write until the test lets it go, so the kill lands after the
    // charges started and before any of them completed
    const hold = await holdWrites(stack.pool, 'payments.events');
    let handles: Awaited<ReturnType<typeof startSaga>>[] = [];
    let inFlight: { handle: (typeof handles)[number]; workerIdentity: string }[] = [];
    try {
      handles = await Promise.all(
        customers.map((customerId) =>
          startSaga(
            stack,
            orderInput({ ...s, customerId }, { tuning: { ...TEST_TUNING, attemptTimeoutMs: 3000 } }),
          ),
        ),
      );
      // positive markers: the worker has started charges (the server handed out their attempts) and at
      // least one of them is at its write
      inFlight = await eventually(
        async () => {
          assert.ok((await hold.waiters()) >= 1, 'a charge is writing to payments.events');
          const started = [];
          for (const handle of handles) {
            const p = await pendingActivity(handle, 'chargePayment');
            if (p?.started) started.push({ handle, workerIdentity: p.workerIdentity });
          }
          assert.ok(started.length >= 1, 'a chargePayment attempt is started');
          return started;
        },
        { what: 'charges in flight' },
      );
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // nothing completed before the kill: no charge in Postgres, no completion in any history
      const chargedAtKill = (await Promise.all(customers.map((c) => balanceOf(stack, c)))).filter(
        (b) => b < 5_000,
      );
      assert.ok(chargedAtKill.length < customers.length, 'some charges were still outstanding at the kill');
      assert.equal(chargedAtKill.length, 0, 'no charge had completed at the kill');
      for (const c of customers) {
        const events = await stack.services.payments.getAccountEvents(c);
        assert.equal(events.filter((e) => e.type === 'AccountCharged').length, 0, `${c} not charged yet`);
      }
      for (const { handle } of inFlight) {
        assert.equal((await activityOutcome(handle, 'chargePayment'))?.completed ?? false, false);
      }
      t.diagnostic(
        `charges started when the worker was killed: ${inFlight.length}/${customers.length}; charged: ${chargedAtKill.length}`,
      );
    } finally {
      // the dead worker's statements still queued on the lock may now commit: its charges can land after
      // it died, and the retry on the new worker must then find them and charge nothing more
      await hold.release();
    }

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
    // each charge in flight at the kill was retried and completed by another worker process
    for (const { handle, workerIdentity } of inFlight) {
      const outcome = await activityOutcome(handle, 'chargePayment');
      assert.equal(outcome?.completed, true);
      assert.ok((outcome?.attempt ?? 0) >= 2, `retried: attempt ${outcome?.attempt}`);
      assert.notEqual(outcome?.workerIdentity, workerIdentity, 'completed by the restarted worker');
    }
    assert.deepEqual(await stockOf(stack, s.sku), { available: 80, reserved: 0, shipped: 20 });
  });

  it('carrier failing 100% for a while: the breaker opens (metric), a failed half-open trial re-opens it, orders wait, and complete after recovery', async () => {
    const s = await seed(stack, { stock: 10, balance: 50_000 });
    const before = await breakerTransitions(stack);
    stack.carrier.behaviour.failureRate = 1;
    const handles = await Promise.all(
      [1, 2, 3].map(() =>
        startSaga(stack, orderInput(s, { tuning: { ...TEST_TUNING, shipmentBudgetMs: 120_000 } })),
      ),
    );
    try {
      await eventually(async () =>
        assert.equal(await breakerGauge(stack), 1, 'circuit_breaker_state{dependency="carrier"} = 1 (open)'),
      );
      // the outage lasts: a half-open trial fails and re-opens the breaker (open again without closing), and
      // Temporal keeps retrying every saga's shipment with backoff
      await eventually(
        async () => {
          const now = await breakerTransitions(stack);
          assert.ok(now.halfOpen > before.halfOpen, 'a half-open trial');
          assert.ok(now.open >= before.open + 2, 'opened again after the trial');
          assert.equal(now.closed, before.closed, 'never closed during the outage');
          for (const h of handles) {
            const attempt = (await pendingActivity(h, 'createShipment'))?.attempt ?? 0;
            assert.ok(attempt >= 3, `createShipment retried (attempt ${attempt})`);
          }
        },
        { what: 'a failed half-open trial and retried shipments' },
      );
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
