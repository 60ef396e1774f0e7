/**
 * `npm run replay:capture`: runs every saga path on a real (throwaway) Temporal dev server and Postgres with
 * the real workers in this process, and saves each workflow history as JSON under test/replay/histories/.
 * The replay test (test/replay/replay.int.spec.ts) then replays every committed history against the current
 * workflow code. Paths: happy path, no stock, no funds, unsupported country, cancelled in the window, a
 * worker crash and restart mid-saga, a carrier outage that recovers, and a carrier outage that outlasts the
 * shipment budget.
 *
 * Usage: npm run replay:capture -- [<path>...] [--out <dir>] [--version <name>]
 *   With path names only those are captured. Existing files are overwritten: to keep the histories of an
 *   older workflow version, move them into a subfolder first (e.g. test/replay/histories/v1/) — see
 *   docs/web-ui-and-replay.md. `--version <name>` runs a version of the saga from test/replay/variants.ts
 *   (e.g. v1-before-validate-destination, the code before the one patch) instead of src/workflows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { startCarrierServer, type CarrierServer } from '../src/carrier/app';
import { loadConfig } from '../src/config';
import { freePort } from '../src/platform/postgres';
import { createPool } from '../src/db/pool';
import { createMetricsRegistry, createSagaMetrics } from '../src/metrics/saga-metrics';
import { createInventoryService } from '../src/services/inventory';
import { createPaymentsService } from '../src/services/payments';
import { createMeteredCarrierClient, createServiceWorker } from '../src/workers/service-worker';
import {
  cancelOrderUpdate,
  type OrderSagaInput,
  type OrderSagaResult,
  orderSagaStartOptions,
  type SagaStateName,
  sagaStateQuery,
  type SagaTuning,
  type ServiceName,
} from '../src/workflows/contracts';
import { orderSaga } from '../src/workflows/order-saga';
import { temporal as proto } from '@temporalio/proto';
import { historyToJson } from '../test/replay/histories';
import { bundleWorkflows, findVariant, materializeVariant } from '../test/replay/variants';
import { startTestPostgres, startTestTemporal } from '../test/support/stack';

const ROOT = path.resolve(__dirname, '..');
const SERVICES: ServiceName[] = ['orders', 'inventory', 'payments', 'shipping'];

const SKU = 'SKU-REPLAY';
const SKU_SOLD_OUT = 'SKU-REPLAY-SOLD-OUT';
const PRICE = 12_50;
const RICH = 'cust-replay-rich';
const POOR = 'cust-replay-poor';
/** fast retries so the capture takes seconds; tuning is input, so it does not change the commands */
const FAST: SagaTuning = {
  retryInitialIntervalMs: 100,
  retryMaximumIntervalMs: 1000,
  compensationMaxAttempts: 5,
};

const PATH_TIMEOUT_MS = 90_000;

const log = (msg: string) => process.stdout.write(`[replay:capture] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ctx {
  client: Client;
  carrier: CarrierServer;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  startWorker(name: ServiceName, identity?: string): Promise<void>;
  stopWorker(name: ServiceName): Promise<void>;
}

function orderInput(over: {
  customerId?: string;
  sku?: string;
  quantity?: number;
  country?: string;
  cancellationWindowMs?: number;
  tuning?: SagaTuning;
}): OrderSagaInput {
  const quantity = over.quantity ?? 2;
  return {
    orderId: randomUUID(),
    customerId: over.customerId ?? RICH,
    lines: [{ sku: over.sku ?? SKU, quantity, unitPrice: PRICE }],
    total: quantity * PRICE,
    currency: 'USD',
    shippingAddress: {
      name: 'Replay Tester',
      line1: '1 History Lane',
      city: 'Springfield',
      postalCode: '12345',
      country: over.country ?? 'US',
    },
    placedAt: new Date().toISOString(),
    cancellationWindowMs: over.cancellationWindowMs ?? 0,
    requestId: 'replay-capture',
    tuning: over.tuning ?? FAST,
  };
}

async function waitForState(
  ctx: Ctx,
  workflowId: string,
  want: (s: SagaStateName) => boolean,
  timeoutMs = 60_000,
): Promise<SagaStateName> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + timeoutMs;
  let last: SagaStateName | undefined;
  while (Date.now() < deadline) {
    try {
      last = (await handle.query(sagaStateQuery)).state;
      if (want(last)) return last;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      /* no worker answering right now */
    }
    await sleep(100);
  }
  throw new Error(`${workflowId} did not reach the wanted state (last: ${last})`);
}

async function pendingAttempts(ctx: Ctx, workflowId: string): Promise<number> {
  const d = await ctx.client.workflow.getHandle(workflowId).describe();
  const pending = d.raw.pendingActivities ?? [];
  return Math.max(0, ...pending.map((p) => p.attempt ?? 0));
}

let crashed: ChildProcess | undefined;

/**
 * The payments worker as its own process, frozen (SIGSTOP) once its task polls are waiting at the server: the
 * next charge is handed to it and stays there until the process is killed. A crash at the worst moment,
 * made deterministic.
 */
async function startFrozenPaymentsWorker(ctx: Ctx): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/workers/payments.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: ctx.databaseUrl,
      TEMPORAL_ADDRESS: ctx.temporalAddress,
      TEMPORAL_NAMESPACE: ctx.namespace,
      WORKER_METRICS_PORT: String(port),
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('payments worker did not start');
    await sleep(100);
  }
  await sleep(1000); // let its pollers reach the server
  child.kill('SIGSTOP');
  return child;
}

async function waitForPendingActivity(ctx: Ctx, workflowId: string, activityType: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const d = await ctx.client.workflow.getHandle(workflowId).describe();
    const started = (d.raw.pendingActivities ?? []).some(
      (p) =>
        p.activityType?.name === activityType &&
        p.state === proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
    if (started) return;
    await sleep(100);
  }
  throw new Error(`${activityType} was never handed to a worker`);
}

async function setCarrier(ctx: Ctx, failureRate: number): Promise<void> {
  const res = await fetch(`${ctx.carrier.url}/admin/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ failureRate }),
  });
  if (!res.ok) throw new Error(`carrier admin: ${res.status}`);
}

interface SagaPathSpec {
  name: string;
  expect: OrderSagaResult['status'];
  input: () => OrderSagaInput;
  /** prepares the stage before the saga starts */
  before?: (ctx: Ctx) => Promise<void>;
  /** drives the saga while it runs (cancel, crash a worker, break the carrier...) */
  during?: (ctx: Ctx, workflowId: string) => Promise<void>;
}

const PATHS: SagaPathSpec[] = [
  { name: 'happy-path', expect: 'COMPLETED', input: () => orderInput({ cancellationWindowMs: 500 }) },
  { name: 'no-stock', expect: 'FAILED', input: () => orderInput({ sku: SKU_SOLD_OUT, quantity: 1 }) },
  { name: 'no-funds', expect: 'FAILED', input: () => orderInput({ customerId: POOR }) },
  { name: 'unsupported-country', expect: 'FAILED', input: () => orderInput({ country: 'BR' }) },
  {
    name: 'cancelled-in-window',
    expect: 'CANCELLED',
    input: () => orderInput({ cancellationWindowMs: 120_000 }),
    during: async (ctx, workflowId) => {
      await waitForState(ctx, workflowId, (s) => s === 'PAYMENT_COMPLETED');
      const r = await ctx.client.workflow.getHandle(workflowId).executeUpdate(cancelOrderUpdate, {
        args: [{ reason: 'changed my mind', requestedBy: 'replay-capture' }],
      });
      log(`  cancel update answered: ${r.status} (${r.state})`);
    },
  },
  {
    // 1. The payments worker is a real process that dies (SIGKILL) while it holds the charge: the attempt
    //    times out (startToClose) and Temporal retries it on the restarted worker (attempt 2 in the history).
    // 2. The orders worker (workflow + order activities) and the shipping worker go down while the saga
    //    waits in its cancellation window; the timer fires with nobody polling; fresh workers (empty cache:
    //    they rebuild the saga by replaying its history) pick it up and finish it.
    name: 'worker-crash-retry',
    expect: 'COMPLETED',
    input: () => orderInput({ cancellationWindowMs: 1500, tuning: { ...FAST, attemptTimeoutMs: 2000 } }),
    before: async (ctx) => {
      await ctx.stopWorker('payments');
      crashed = await startFrozenPaymentsWorker(ctx);
    },
    during: async (ctx, workflowId) => {
      await waitForPendingActivity(ctx, workflowId, 'chargePayment');
      crashed!.kill('SIGKILL');
      crashed = undefined;
      log('  payments worker killed (SIGKILL) while it held the charge');
      await ctx.startWorker('payments', 'replay-capture-payments-restarted');
      await waitForState(ctx, workflowId, (s) => s === 'PAYMENT_COMPLETED');
      log('  the charge was retried on the restarted payments worker');
      await Promise.all([ctx.stopWorker('orders'), ctx.stopWorker('shipping')]);
      log('  orders and shipping workers stopped mid-saga');
      await sleep(4000);
      await Promise.all([
        ctx.startWorker('orders', 'replay-capture-orders-restarted'),
        ctx.startWorker('shipping', 'replay-capture-shipping-restarted'),
      ]);
      log('  orders and shipping workers restarted');
    },
  },
  {
    // The carrier fails every call (the breaker opens; Temporal retries the shipment) and then recovers.
    name: 'carrier-outage',
    expect: 'COMPLETED',
    input: () => orderInput({ tuning: { ...FAST, shipmentBudgetMs: 120_000 } }),
    during: async (ctx, workflowId) => {
      const deadline = Date.now() + 60_000;
      while ((await pendingAttempts(ctx, workflowId)) < 4) {
        if (Date.now() > deadline) throw new Error('the shipment was not retried');
        await sleep(200);
      }
      log(`  shipment attempts so far: ${await pendingAttempts(ctx, workflowId)}; carrier recovers`);
      await setCarrier(ctx, 0);
    },
  },
  {
    // The carrier stays down longer than the shipment budget: CarrierUnavailable, everything compensated.
    name: 'carrier-down-too-long',
    expect: 'FAILED',
    input: () => orderInput({ tuning: { ...FAST, shipmentBudgetMs: 3000 } }),
  },
];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const value = argv[i + 1];
    if (!value || value.startsWith('--')) throw new Error(`${name} needs a value`);
    argv.splice(i, 2);
    return value;
  };
  const out = option('--out');
  const version = option('--version');
  const outDir = out ? path.resolve(out) : path.join(ROOT, 'test', 'replay', 'histories');
  const only = argv.filter((a) => !a.startsWith('--'));
  const unknown = only.filter((n) => !PATHS.some((p) => p.name === n));
  if (unknown.length)
    throw new Error(`unknown path(s): ${unknown.join(', ')}; known: ${PATHS.map((p) => p.name).join(', ')}`);
  const selected = only.length ? PATHS.filter((p) => only.includes(p.name)) : PATHS;
  if (version && !out)
    throw new Error('--version needs --out <dir> (do not overwrite the current histories)');
  fs.mkdirSync(outDir, { recursive: true });

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  log('starting a throwaway Temporal dev server and Postgres...');
  const [temporal, pg] = await Promise.all([startTestTemporal(), startTestPostgres()]);
  const pool = createPool(pg.url);
  const carrier = await startCarrierServer({});
  const workers = new Map<ServiceName, { worker: Worker; running: Promise<void> }>();
  try {
    const config = loadConfig({ CARRIER_URL: carrier.url, LOG_LEVEL: 'silent' });
    const metrics = createSagaMetrics(createMetricsRegistry({ service: 'replay-capture' }));
    const carrierClient = createMeteredCarrierClient(config, metrics, { halfOpenAfterMs: 500 });
    let workflowBundle: WorkflowBundle;
    if (version) {
      log(`bundling the workflow code as version ${version} (test/replay/variants.ts)...`);
      const v = materializeVariant(findVariant(version));
      try {
        workflowBundle = await bundleWorkflows(v.workflowsPath);
      } finally {
        v.cleanup();
      }
    } else {
      log('bundling the workflow code...');
      workflowBundle = await bundleWorkflowCode({
        workflowsPath: require.resolve('../src/workflows'),
        logger: new DefaultLogger('WARN'),
      });
    }

    const ctx: Ctx = {
      client: temporal.client,
      carrier,
      databaseUrl: pg.url,
      temporalAddress: temporal.address,
      namespace: temporal.namespace ?? 'default',
      async startWorker(name, identity = `replay-capture-${name}`) {
        const built = await createServiceWorker(name, {
          connection: temporal.nativeConnection,
          namespace: temporal.namespace ?? 'default',
          pool,
          config,
          metrics,
          carrier: carrierClient,
          workflowBundle,
          workerOptions: { shutdownGraceTime: '2s', identity },
        });
        workers.set(name, { worker: built.worker, running: built.worker.run() });
      },
      async stopWorker(name) {
        const w = workers.get(name);
        if (!w) return;
        workers.delete(name);
        w.worker.shutdown();
        await w.running;
      },
    };
    for (const name of SERVICES) await ctx.startWorker(name);

    // Catalog and accounts.
    const inventory = createInventoryService({ pool });
    const payments = createPaymentsService({ pool });
    await inventory.upsertItem({ sku: SKU, name: 'Replay widget', price: PRICE });
    await inventory.restock({ sku: SKU, quantity: 1000, restockId: 'replay-initial' });
    await inventory.upsertItem({ sku: SKU_SOLD_OUT, name: 'Sold-out widget', price: PRICE });
    await payments.deposit({ customerId: RICH, amount: 1_000_000_00, depositId: 'replay-initial' });
    await payments.deposit({ customerId: POOR, amount: 1_00, depositId: 'replay-initial' });

    for (const spec of selected) {
      const input = spec.input();
      if (spec.name.startsWith('carrier-')) await setCarrier(ctx, 1);
      log(`${spec.name}: order ${input.orderId}`);
      await spec.before?.(ctx);
      const handle = await temporal.client.workflow.start(orderSaga, orderSagaStartOptions(input));
      try {
        await spec.during?.(ctx, handle.workflowId);
        const result = await Promise.race([
          handle.result(),
          sleep(PATH_TIMEOUT_MS).then(() => {
            throw new Error(`${spec.name}: no result after ${PATH_TIMEOUT_MS} ms (workflow task failing?)`);
          }),
        ]);
        if (result.status !== spec.expect)
          throw new Error(`${spec.name}: expected ${spec.expect}, got ${JSON.stringify(result)}`);
        const history = await handle.fetchHistory();
        const json = historyToJson(history);
        const file = path.join(outDir, `${spec.name}.json`);
        fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
        log(
          `  ${result.status}${result.failure ? ` (${result.failure.type} at ${result.failure.step})` : ''}; ` +
            `compensations [${result.compensationsRun.join(', ')}]; ${json.events.length} events → ${path.relative(ROOT, file)}`,
        );
      } finally {
        await setCarrier(ctx, 0);
      }
    }
  } finally {
    crashed?.kill('SIGKILL');
    for (const w of workers.values()) {
      try {
        w.worker.shutdown();
      } catch {
        /* already stopping */
      }
    }
    await Promise.allSettled([...workers.values()].map((w) => w.running));
    await carrier.close();
    await pool.end();
    await temporal.teardown();
    await pg.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
