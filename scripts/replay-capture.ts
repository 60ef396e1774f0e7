/**
 * `npm run replay:capture`: runs every saga path (test/replay/capture/paths.ts) on a real, throwaway
 * Temporal dev server, Postgres and carrier with the real workers in this process, and saves each workflow
 * history as proto JSON under test/replay/histories/. Beside them it records, in capture-manifest.json, the
 * hash of the workflow code each history was captured from (test/replay/workflow-code.ts): the replay test
 * fails when the workflow code changes and the histories are not captured again.
 *
 * Usage: npm run replay:capture -- [<path>...] [--out <dir>] [--version <name>]
 *   With path names only those are captured. Existing files are overwritten: to keep the histories of an
 *   older workflow version, move them into a subfolder first (e.g. test/replay/histories/v4/), see the
 *   README's "Replay tests". `--version <name>` runs a version of the saga from test/replay/variants.ts
 *   (e.g. the code before one of its patches) instead of src/workflows; it needs --out and writes no manifest.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createOrderActivities } from '../src/activities/orders';
import { startCarrierServer } from '../src/carrier/app';
import { loadConfig } from '../src/config';
import { createPool } from '../src/db/pool';
import { createMetricsRegistry, createSagaMetrics } from '../src/metrics/saga-metrics';
import { createInventoryService } from '../src/services/inventory';
import { createOrdersService } from '../src/services/orders';
import { createPaymentsService } from '../src/services/payments';
import { createMeteredCarrierClient, createServiceWorker } from '../src/workers/service-worker';
import { type OrderSagaResult, orderSagaStartOptions, TASK_QUEUES } from '../src/workflows/contracts';
import { orderSaga } from '../src/workflows/order-saga';
import { PATHS } from '../test/replay/capture/paths';
import { POOR, PRICE, RICH, SKU, SKU_SOLD_OUT, type Stage, WORKER_ROLES } from '../test/replay/capture/stage';
import { HISTORIES_DIR, historyToJson, SAGA_PATHS, type SagaPath } from '../test/replay/histories';
import { findVariant, materializeVariant } from '../test/replay/variants';
import { bundleWorkflows, type BundledWorkflows, recordCapture, ROOT } from '../test/replay/workflow-code';
import { startTestPostgres, startTestTemporal } from '../test/support/stack';

const PATH_TIMEOUT_MS = 120_000;

const log = (msg: string) => process.stdout.write(`[replay:capture] ${msg}\n`);

function parseArgs(argv: string[]) {
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
  const only = argv.filter((a) => !a.startsWith('--'));
  const unknown = only.filter((n) => !(SAGA_PATHS as readonly string[]).includes(n));
  if (unknown.length)
    throw new Error(`unknown path(s): ${unknown.join(', ')}; known: ${SAGA_PATHS.join(', ')}`);
  if (version && !out)
    throw new Error('--version needs --out <dir> (do not overwrite the current histories)');
  const selected = only.length ? (only as SagaPath[]) : [...SAGA_PATHS];
  return { outDir: out ? path.resolve(out) : HISTORIES_DIR, version, selected };
}

async function bundle(version: string | undefined): Promise<BundledWorkflows> {
  if (!version) {
    log('bundling the workflow code...');
    return bundleWorkflows();
  }
  log(`bundling the workflow code as version ${version} (test/replay/variants.ts)...`);
  const v = materializeVariant(findVariant(version));
  try {
    return await bundleWorkflows(v.workflowsPath);
  } finally {
    v.cleanup();
  }
}

async function withTimeout<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no result after ${PATH_TIMEOUT_MS} ms`)),
      PATH_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function capture(
  stage: Stage,
  name: SagaPath,
  outDir: string,
  code: BundledWorkflows,
  manifest: boolean,
) {
  const spec = PATHS[name];
  const input = spec.input();
  log(`${name}: order ${input.orderId}`);
  try {
    await spec.before?.(stage);
    const handle: WorkflowHandle = spec.start
      ? await spec.start(stage, input)
      : await stage.client.workflow.start(orderSaga, orderSagaStartOptions(input));
    await spec.during?.(stage, handle);
    const result = (await withTimeout(name, handle.result())) as OrderSagaResult;
    if (result.status !== spec.expect)
      throw new Error(`${name}: expected ${spec.expect}, got ${JSON.stringify(result)}`);
    const history = await handle.fetchHistory();
    spec.check?.(history, result);
    const json = historyToJson(history);
    const file = path.join(outDir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
    if (manifest) recordCapture(outDir, code, [{ name, json }]);
    log(
      `  ${result.status}${result.failure ? ` (${result.failure.type} at ${result.failure.step})` : ''}; ` +
        `compensations [${result.compensationsRun.join(', ')}]; ${json.events.length} events → ${path.relative(ROOT, file)}`,
    );
  } finally {
    await spec.after?.(stage);
  }
}

async function main(): Promise<void> {
  const { outDir, version, selected } = parseArgs(process.argv.slice(2));
  fs.mkdirSync(outDir, { recursive: true });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const code = await bundle(version);
  log(`workflow code ${code.hash.slice(0, 12)}`);
  log('starting a throwaway Temporal dev server and Postgres...');
  const [temporal, pg] = await Promise.all([startTestTemporal(), startTestPostgres()]);
  const pool = createPool(pg.url);
  const carrier = await startCarrierServer({});
  const running = new Map<string, { worker: Worker; done: Promise<void>; stopBackground(): Promise<void> }>();
  const namespace = temporal.namespace ?? 'default';
  try {
    const config = loadConfig({ CARRIER_URL: carrier.url, LOG_LEVEL: 'silent' });
    const metrics = createSagaMetrics(createMetricsRegistry({ service: 'replay-capture' }));
    const carrierClient = createMeteredCarrierClient(config, metrics, { halfOpenAfterMs: 500 });
    const workerOptions = (identity: string) => ({ shutdownGraceTime: '2s', identity });
    const stage: Stage = {
      client: temporal.client,
      pool,
      carrier,
      databaseUrl: pg.url,
      temporalAddress: temporal.address,
      namespace,
      log,
      async startWorker(role, identity = `replay-capture-${role}`, options = {}) {
        if (running.has(role)) return;
        const deps = { connection: temporal.nativeConnection, namespace, pool, config, metrics };
        if (role === 'orders') {
          // the order activities alone (the saga runs in `workflows`, with the orders steps of sagas that run
          // them as local activities), so an older saga's placeOrder can be held
          const worker = await Worker.create({
            connection: temporal.nativeConnection,
            namespace,
            taskQueue: TASK_QUEUES.orders,
            activities: createOrderActivities({ orders: createOrdersService({ pool }) }),
            ...workerOptions(identity),
          });
          running.set(role, { worker, done: worker.run(), stopBackground: () => Promise.resolve() });
          return;
        }
        const built = await createServiceWorker(role === 'workflows' ? 'orders' : role, {
          ...deps,
          carrier: carrierClient,
          workflowBundle: code.bundle,
          workerOptions: {
            ...workerOptions(identity),
            ...(role === 'workflows' ? { enableNonLocalActivities: false } : {}),
            ...options,
          },
        });
        running.set(role, {
          worker: built.worker,
          done: built.worker.run(),
          stopBackground: built.stopBackground,
        });
      },
      async stopWorker(role) {
        const w = running.get(role);
        if (!w) return;
        running.delete(role);
        w.worker.shutdown();
        await w.done;
        await w.stopBackground();
      },
    };
    for (const role of WORKER_ROLES) await stage.startWorker(role);

    // Catalog and accounts.
    const inventory = createInventoryService({ pool });
    const payments = createPaymentsService({ pool });
    await inventory.upsertItem({ sku: SKU, name: 'Replay widget', price: PRICE });
    await inventory.restock({ sku: SKU, quantity: 1000, restockId: 'replay-initial' });
    await inventory.upsertItem({ sku: SKU_SOLD_OUT, name: 'Sold-out widget', price: PRICE });
    await payments.deposit({ customerId: RICH, amount: 1_000_000_00, depositId: 'replay-initial' });
    await payments.deposit({ customerId: POOR, amount: 1_00, depositId: 'replay-initial' });

    for (const name of selected) await capture(stage, name, outDir, code, !version);
    if (!version) log(`capture-manifest.json records workflow code ${code.hash.slice(0, 12)}`);
  } finally {
    for (const role of [...running.keys()]) {
      const w = running.get(role)!;
      try {
        w.worker.shutdown();
      } catch {
        /* already stopping */
      }
    }
    await Promise.allSettled(
      [...running.values()].map(async (w) => (await w.done, await w.stopBackground())),
    );
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
