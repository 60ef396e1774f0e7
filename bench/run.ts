/**
 * `npm run bench` (and `npm run bench:short`, a tiny run of every part): the saga against same-run baselines.
 *
 * One stack (launchStack: embedded Postgres, Temporal CLI dev server with persistent SQLite, carrier, the
 * four production worker processes, the API) on a temp DATA_DIR and free ports, plus a second namespace
 * `bench` on the same dev server, where four bench-only worker processes (bench/worker.ts: one per task
 * queue, same task queue names, same worker options) run
 *   - bareWorkflow: N no-op activities on the saga's task queues in the saga's order (the bare baseline),
 *   - the real orderSaga workflow code with no-op activities registered under the real names (stubbed).
 * Sections (see bench/README.md): saga (closed loop + open-loop ladder), bareTemporal, stubbedSaga, ratios,
 * eventStore (bench/eventstore.ts as a child), projectionLag, costGrowth, versions and settings.
 * Writes latest.json, latest.svg and eventstore.json (the child's result) into the output directory and prints
 * a table. The output directory is BENCH_OUT_DIR (absolute or relative to the working directory); by default
 * bench/results for the full bench and test-results/bench-short (gitignored) for --short, so a short run
 * never overwrites the last full run's results in bench/results.
 *
 * Env: BENCH_OUT_DIR, BENCH_CONCURRENCY (orders in flight, default 16 / short 4), BENCH_SECONDS (seconds per measured
 * closed-loop half, default 10 / short 2), BENCH_TEMPORAL_ARGS (extra dev-server flags, space-separated),
 * BENCH_PG_SETTINGS (reloadable Postgres settings for an experiment, `name=value;...`), and every
 * WORKER_* / PG_POOL_MAX / RELAY_* variable of src/config.ts (the stack's processes inherit them).
 */
import { randomUUID } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPool } from '../src/db/pool';
import {
  ORDER_PROJECTIONS,
  projectionsSubscriber,
  startOutboxRelay,
  type OutboxRelay,
} from '../src/eventstore';
import { freePort, postmasterPid } from '../src/platform/postgres';
import { entry, isolatedStackEnv, launchStack, ROOT, SERVICES, type Stack } from '../src/platform/stack';
import { orderSagaStartOptions, type OrderSagaInput, type OrderSagaResult } from '../src/workflows/contracts';
import { CustomerIdKey, OrderStatusKey } from '../src/workflows/search-attributes';
import { renderSvg, type Panel } from './chart';
import { cpuSnapshot, perOrder, type CpuSnapshot } from './cpu';
import { closedLoop, openLoop, type LoadResult, type Op, type OpenLoopResult } from './load';
import { kneeOf, leastSquares, round, summarize } from './stats';

const SHORT = process.argv.includes('--short') || process.env.BENCH_SHORT === '1';
const envInt = (name: string, def: number) => {
  const raw = process.env[name];
  return raw && Number.isFinite(Number(raw)) ? Number(raw) : def;
};
const PROFILE = SHORT
  ? {
      concurrency: envInt('BENCH_CONCURRENCY', 4),
      halfSeconds: envInt('BENCH_SECONDS', 3),
      rampSeconds: 0,
      warmupSeconds: 1,
      ladder: [0.5, 1],
      rungSeconds: 2,
      growthActivities: [1, 3, 6, 9],
      growthSamples: 3,
      workersPerQueue: [1, 2],
      workersSeconds: 4,
      eventStoreSeconds: 0.4,
    }
  : {
      concurrency: envInt('BENCH_CONCURRENCY', 16),
      halfSeconds: envInt('BENCH_SECONDS', 16),
      rampSeconds: 4,
      warmupSeconds: 2,
      ladder: [0.5, 0.75, 1, 1.25],
      rungSeconds: 6,
      growthActivities: [1, 3, 6, 9],
      growthSamples: 8,
      workersPerQueue: [1, 2, 4],
      workersSeconds: 10,
      eventStoreSeconds: 8,
    };
const BENCH_NAMESPACE = 'bench';
const SAGA_ACTIVITIES = 9; // activities of a completed saga (see bench/workflows/bare.ts)
const CUSTOMERS = 64;
const OUT_DIR = process.env.BENCH_OUT_DIR
  ? path.resolve(process.cwd(), process.env.BENCH_OUT_DIR)
  : SHORT
    ? path.join(ROOT, 'test-results', 'bench-short')
    : path.join(__dirname, 'results');

const t0 = performance.now();
const say = (msg: string) => console.log(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

const ADDRESS = {
  name: 'Bench',
  line1: '1 Bench St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};
const customerOf = (i: number) => `bench-cust-${i % CUSTOMERS}`;
const skuOf = (i: number) => `BENCH-SKU-${i % CUSTOMERS}`;

async function api(
  stack: Stack,
  token: string,
  method: string,
  route: string,
  body: unknown,
  key?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${stack.apiUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

/** Catalog items and customers for the bench, through the API as an admin (one SKU/customer per slot). */
async function seedBenchData(stack: Stack, admin: string): Promise<void> {
  const tag = randomUUID().slice(0, 8);
  const one = async (i: number) => {
    const put = await api(stack, admin, 'PUT', `/inventory/${skuOf(i)}`, {
      name: `Bench item ${i}`,
      price: 100,
    });
    if (put.status >= 300) throw new Error(`PUT /inventory: ${put.status} ${JSON.stringify(put.json)}`);
    const restock = await api(
      stack,
      admin,
      'POST',
      `/inventory/${skuOf(i)}/restock`,
      { quantity: 1_000_000 },
      `bench-restock-${tag}-${i}`,
    );
    if (restock.status >= 300) throw new Error(`restock: ${restock.status} ${JSON.stringify(restock.json)}`);
    const dep = await api(
      stack,
      admin,
      'POST',
      `/accounts/${customerOf(i)}/deposits`,
      { amount: 10_000_000_00 },
      `bench-deposit-${tag}-${i}`,
    );
    if (dep.status >= 300) throw new Error(`deposit: ${dep.status} ${JSON.stringify(dep.json)}`);
  };
  for (let i = 0; i < CUSTOMERS; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, CUSTOMERS - i) }, (_, j) => one(i + j)));
  }
}

interface BenchWorkers {
  stop(): Promise<void>;
}

/** Starts the four bench-only worker processes in the bench namespace; resolves when all poll. */
async function startBenchWorkers(stack: Stack, env: Record<string, string>): Promise<BenchWorkers> {
  const names = SERVICES.map((s) => `bench-${s}`);
  const ready = new Set<string>();
  const lines: string[] = [];
  const onLine = (name: string, line: string) => {
    if (!names.includes(name)) return;
    lines.push(`${name}: ${line}`);
    if (line.includes('bench-worker ready')) ready.add(name);
  };
  stack.supervisor.on('line', onLine);
  for (const service of SERVICES) {
    stack.supervisor.start({
      name: `bench-${service}`,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(__dirname, 'worker.ts'), service],
      env: {
        ...env,
        TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
        BENCH_CORE_METRICS_PORT: String(await freePort()),
      },
      restart: false,
    });
  }
  const deadline = Date.now() + 120_000;
  while (ready.size < names.length) {
    if (Date.now() > deadline) {
      throw new Error(`bench workers not ready after 120 s:\n${lines.slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    stop: async () => {
      stack.supervisor.off('line', onLine);
      for (const n of names) await stack.supervisor.stop(n);
    },
  };
}

async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = [CustomerIdKey.name, OrderStatusKey.name].filter(
    (n) => !(n in (existing.customAttributes ?? {})),
  );
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((n) => [n, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
  });
  // the dev server's search attribute cache refreshes asynchronously
  await new Promise((r) => setTimeout(r, 1500));
}

interface Interleaved {
  results: Record<string, LoadResult>;
  /** CPU ms per order by process group, per kind (undefined without /proc) */
  cpu: Record<string, Record<string, number>> | undefined;
}

function interleaved(
  kinds: { name: string; op: Op }[],
  concurrency: number,
  halfSeconds: number,
  cpu: () => CpuSnapshot | undefined,
): Promise<Interleaved> {
  // A B C C B A: drift on a shared machine hits every kind alike
  return (async () => {
    const halves: Record<string, LoadResult[]> = {};
    const cpuSum: Record<string, { before: CpuSnapshot; after: CpuSnapshot; units: number }[]> = {};
    const order = [...kinds, ...[...kinds].reverse()];
    for (const k of order) {
      // every unit that completed in the half (ramp and drain too), as the CPU is read around the whole half
      let units = 0;
      const counted: Op = async (slot, seq) => {
        const ok = await k.op(slot, seq);
        if (ok !== false) units++;
        return ok;
      };
      const before = cpu();
      const r = await closedLoop(counted, {
        concurrency,
        seconds: halfSeconds,
        rampSeconds: PROFILE.rampSeconds,
        progress: (n) => say(`  ${k.name}: ${n} completed`),
      });
      const after = cpu();
      if (before && after) (cpuSum[k.name] ??= []).push({ before, after, units });
      say(
        `  ${k.name.padEnd(8)} ${r.perSecond.toFixed(1)}/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  (${r.completed} done, ${r.failed} failed)`,
      );
      (halves[k.name] ??= []).push(r);
    }
    const cpuPerKind =
      Object.keys(cpuSum).length === kinds.length
        ? Object.fromEntries(
            Object.entries(cpuSum).map(([name, hs]) => {
              const sum = (pick: (h: (typeof hs)[number]) => CpuSnapshot) =>
                Object.fromEntries(
                  Object.keys(hs[0]!.before).map((g) => [
                    g,
                    hs.reduce((t, h) => t + pick(h)[g as keyof CpuSnapshot], 0),
                  ]),
                ) as CpuSnapshot;
              return [
                name,
                perOrder(
                  sum((h) => h.before),
                  sum((h) => h.after),
                  hs.reduce((t, h) => t + h.units, 0),
                ),
              ];
            }),
          )
        : undefined;
    return {
      results: Object.fromEntries(Object.entries(halves).map(([name, rs]) => [name, merge(rs)])),
      cpu: cpuPerKind,
    };
  })();
}

/** Merges closed-loop halves: throughput over the summed time; latency quantiles are sample-weighted means. */
function merge(rs: LoadResult[]): LoadResult {
  const completed = rs.reduce((a, r) => a + r.completed, 0);
  const seconds = rs.reduce((a, r) => a + r.seconds, 0);
  const w = (f: (r: LoadResult) => number) =>
    round(rs.reduce((a, r) => a + f(r) * r.completed, 0) / Math.max(1, completed), 1);
  const firstError = rs.find((r) => r.firstError)?.firstError;
  return {
    completed,
    failed: rs.reduce((a, r) => a + r.failed, 0),
    seconds: round(seconds),
    perSecond: round(completed / seconds, 2),
    samples: completed,
    p50Ms: w((r) => r.p50Ms),
    p90Ms: w((r) => r.p90Ms),
    p99Ms: w((r) => r.p99Ms),
    maxMs: Math.max(...rs.map((r) => r.maxMs)),
    ...(firstError ? { firstError } : {}),
  };
}

interface EventStoreLevel {
  writers: number;
  appendsPerSecond: number;
  appendP99Ms: number;
  plainInsertsPerSecond: number;
  plainP99Ms: number;
  ratio: number;
  /** the same appends with the store's group commit off (every append its own statement and commit) */
  withoutGroupCommitPerSecond: number | null;
  withoutGroupCommitRatio: number | null;
  /** appends that also write an outbox row (what every saga activity does) */
  appendWithOutboxPerSecond: number | null;
  appendWithOutboxP99Ms: number | null;
  withOutboxRatio: number | null;
}

/**
 * Runs bench/eventstore.ts (the event store engineer's bench) as a child, telling it to write its result to
 * `out` (BENCH_EVENTSTORE_OUT, inside this run's output directory), and reads that file: never a shared
 * file another run may have written.
 */
async function runEventStoreBench(
  seconds: number,
  out: string,
): Promise<{ levels: EventStoreLevel[]; raw: unknown }> {
  fs.rmSync(out, { force: true }); // a file left by an earlier run must not pass for this run's
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'eventstore.ts')], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SECONDS: String(seconds), BENCH_FSYNC: '', BENCH_EVENTSTORE_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer) =>
      chunk
        .toString()
        .split('\n')
        .filter((l) => l.trim())
        .forEach((l) => say(`  ${l}`));
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bench/eventstore.ts exited with ${code}`)),
    );
  });
  if (!fs.existsSync(out)) {
    throw new Error(`bench/eventstore.ts exited with 0 but did not write ${out} (BENCH_EVENTSTORE_OUT)`);
  }
  const raw = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    passes: {
      levels: {
        writers: number;
        append: { perSecond: number; p99Ms: number };
        plainInsert: { perSecond: number; p99Ms: number };
        ratio: number;
        appendWithoutGroupCommit?: { perSecond: number; p99Ms: number };
        appendWithOutbox?: { perSecond: number; p99Ms: number };
        appendWithOutboxNotifyAfterCommit?: { perSecond: number; p99Ms: number };
      }[];
    }[];
  };
  const levels = (raw.passes[0]?.levels ?? [])
    .map((level) => ({
      ...level,
      appendWithOutbox: level.appendWithOutboxNotifyAfterCommit ?? level.appendWithOutbox,
    }))
    .map((l) => ({
      writers: l.writers,
      appendsPerSecond: l.append.perSecond,
      appendP99Ms: l.append.p99Ms,
      plainInsertsPerSecond: l.plainInsert.perSecond,
      plainP99Ms: l.plainInsert.p99Ms,
      ratio: l.ratio,
      withoutGroupCommitPerSecond: l.appendWithoutGroupCommit?.perSecond ?? null,
      withoutGroupCommitRatio: l.appendWithoutGroupCommit
        ? round(l.appendWithoutGroupCommit.perSecond / l.plainInsert.perSecond, 3)
        : null,
      appendWithOutboxPerSecond: l.appendWithOutbox?.perSecond ?? null,
      appendWithOutboxP99Ms: l.appendWithOutbox?.p99Ms ?? null,
      withOutboxRatio: l.appendWithOutbox
        ? round(l.appendWithOutbox.perSecond / l.plainInsert.perSecond, 3)
        : null,
    }));
  return { levels, raw };
}

function pkgVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = os.loadavg();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  say(`mode ${SHORT ? 'short' : 'full'}: ${JSON.stringify(PROFILE)}`);
  say(`output directory ${OUT_DIR}${process.env.BENCH_OUT_DIR ? ' (BENCH_OUT_DIR)' : ''}`);

  // ---- 3. event store first, before the stack loads the CPU (its own throwaway Postgres) ----
  // (short mode: alongside the stack's start-up, to save time; its figures are then only a smoke test)
  say('event store: bench/eventstore.ts (append vs plain INSERT, 1/8/32 writers)');
  const eventStoreOut = path.join(OUT_DIR, 'eventstore.json');
  const eventStoreRun = runEventStoreBench(PROFILE.eventStoreSeconds, eventStoreOut);
  eventStoreRun.catch(() => undefined); // awaited below
  if (!SHORT) await eventStoreRun;

  // ---- the stack ----
  const stackEnv: Record<string, string> = {
    ...(await isolatedStackEnv('bench')),
    ORDER_CANCELLATION_WINDOW_MS: '0',
    CARRIER_FAILURE_RATE: '0',
    CARRIER_LATENCY_MS: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
  const dataDir = stackEnv.DATA_DIR!;
  // children inherit process.env: the bench is its own process, so this is where the stack's env lives
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  delete process.env.CARRIER_URL;
  delete process.env.WORKER_METRICS_URLS;
  Object.assign(process.env, stackEnv);
  const temporalExtraArgs = [
    '--namespace',
    BENCH_NAMESPACE,
    ...(process.env.BENCH_TEMPORAL_ARGS ?? '').split(/\s+/).filter(Boolean),
  ];
  say(`starting the stack (DATA_DIR ${dataDir})`);
  const childLog: string[] = [];
  const stack = await launchStack({
    env: process.env,
    say: (m) => say(`  ${m}`),
    onChildLine: (name, line) => {
      childLog.push(`${name}: ${line}`);
      if (childLog.length > 200) childLog.shift();
      if (process.env.BENCH_VERBOSE) console.log(`  [${name}] ${line}`);
    },
    temporalExtraArgs,
  });
  let benchWorkers: BenchWorkers | undefined;
  let relay: OutboxRelay | undefined;
  const pool = createPool(stack.databaseUrl, { max: 4, applicationName: 'bench' });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const extraWorkers: string[] = [];
  try {
    if (!stack.apiUp) throw new Error(`the API did not come up:\n${childLog.slice(-30).join('\n')}`);
    const client = new Client({ connection, namespace: stack.config.temporal.namespace });
    const benchClient = new Client({ connection, namespace: BENCH_NAMESPACE });
    // opt-in experiments on the stack's Postgres (reloadable settings only), e.g. "commit_delay=200;commit_siblings=2"
    for (const kv of (process.env.BENCH_PG_SETTINGS ?? '').split(';').filter((x) => x.includes('='))) {
      const [name, value] = kv.split('=').map((x) => x.trim()) as [string, string];
      if (!/^[a-z_]+$/.test(name)) throw new Error(`BENCH_PG_SETTINGS: bad name ${name}`);
      await pool.query(`ALTER SYSTEM SET ${name} = '${value.replace(/'/g, "''")}'`);
      await pool.query('SELECT pg_reload_conf()');
      say(`Postgres: ${name} = ${value} (BENCH_PG_SETTINGS)`);
    }
    const creds = await stack.credentials();
    const admin = creds.find((c) => c.envName === 'ADMIN_TOKEN')!.token;
    say(
      `stack up: API ${stack.apiUrl}, Temporal ${stack.temporalAddress}; seeding ${CUSTOMERS} SKUs/customers`,
    );
    // ---- bench workers (bare + stubbed), same dev server, bench namespace; meanwhile the seed data ----
    await ensureSearchAttributes(connection, BENCH_NAMESPACE);
    say('starting the bench-only workers (namespace bench; bare workflow + stubbed saga)');
    const workersStarting = startBenchWorkers(stack, {});
    workersStarting.catch(() => undefined); // awaited below
    await seedBenchData(stack, admin);
    benchWorkers = await workersStarting;

    // a relay of the order read models in this process: a standby if the stack runs one (advisory lock)
    relay = startOutboxRelay({
      pool,
      schema: 'orders',
      subscribers: [projectionsSubscriber('orders', ORDER_PROJECTIONS)],
    });

    const tag = randomUUID().slice(0, 8);
    const orderIds: string[] = [];
    const sagaTimes: { workflowId: string; ms: number }[] = [];
    const bareTimes: typeof sagaTimes = [];
    const stubTimes: typeof sagaTimes = [];
    let orderSeq = 0;
    const sagaOp: Op = async (slot) => {
      const i = slot;
      const res = await api(
        stack,
        admin,
        'POST',
        '/orders',
        { customerId: customerOf(i), items: [{ sku: skuOf(i), quantity: 1 }], shippingAddress: ADDRESS },
        `bench-${tag}-${orderSeq++}`,
      );
      if (res.status !== 202) throw new Error(`POST /orders: ${res.status} ${JSON.stringify(res.json)}`);
      orderIds.push(String(res.json.orderId));
      const submitted = performance.now();
      const result = (await client.workflow
        .getHandle(String(res.json.workflowId))
        .result()) as OrderSagaResult;
      sagaTimes.push({ workflowId: String(res.json.workflowId), ms: performance.now() - submitted });
      if (result.status !== 'COMPLETED')
        throw new Error(`saga ${result.status}: ${JSON.stringify(result.failure)}`);
    };
    const sagaOpenOp: Op = (_slot, seq) => sagaOp(seq % CUSTOMERS, seq);

    const bareOp =
      (activities: number): Op =>
      async () => {
        const handle = await benchClient.workflow.start('bareWorkflow', {
          taskQueue: 'orders',
          workflowId: `bare-${randomUUID()}`,
          args: [{ activities }],
        });
        const t = performance.now();
        await handle.result();
        bareTimes.push({ workflowId: handle.workflowId, ms: performance.now() - t });
      };
    const stubOp: Op = async (slot) => {
      const input: OrderSagaInput = {
        orderId: randomUUID(),
        customerId: customerOf(slot),
        lines: [{ sku: skuOf(slot), quantity: 1, unitPrice: 100 }],
        total: 100,
        currency: 'USD',
        shippingAddress: ADDRESS,
        placedAt: new Date().toISOString(),
        cancellationWindowMs: 0,
      };
      const handle = await benchClient.workflow.start('orderSaga', orderSagaStartOptions(input));
      const t = performance.now();
      const result = (await handle.result()) as OrderSagaResult;
      stubTimes.push({ workflowId: handle.workflowId, ms: performance.now() - t });
      if (result.status !== 'COMPLETED') throw new Error(`stubbed saga ${result.status}`);
    };

    // ---- warm-up: the first unit of each kind waits for bundles, caches, JIT ----
    say('warm-up (first saga, bare and stubbed runs)');
    await sagaOp(0, -1);
    await bareOp(SAGA_ACTIVITIES)(0, -1);
    await stubOp(0, -1);
    for (const [name, op] of [
      ['saga', sagaOp],
      ['bare', bareOp(SAGA_ACTIVITIES)],
      ['stubbed', stubOp],
    ] as const) {
      await closedLoop(op, { concurrency: PROFILE.concurrency, seconds: PROFILE.warmupSeconds });
      say(`  warmed ${name}`);
    }
    orderIds.length = 0;
    sagaTimes.length = 0;
    bareTimes.length = 0;
    stubTimes.length = 0;

    // ---- 1+2. closed loop: saga, bare, stubbed interleaved ----
    say(
      `closed loop: ${PROFILE.concurrency} in flight, 2 × (${PROFILE.rampSeconds}s ramp + ${PROFILE.halfSeconds}s counted) per kind (A B C C B A)`,
    );
    const pgBefore = await pgCounters(pool);
    const ordersBefore = orderSeq;
    const postmaster = stack.postgres ? await postmasterPid(stack.postgres.dataDir) : undefined;
    const cpuNow = () =>
      cpuSnapshot(
        stack.supervisor.names().map((name) => ({ name, pid: stack.supervisor.pid(name) })),
        postmaster,
      );
    const { results: closed, cpu: cpuByKind } = await interleaved(
      [
        { name: 'saga', op: sagaOp },
        { name: 'bare', op: bareOp(SAGA_ACTIVITIES) },
        { name: 'stubbed', op: stubOp },
      ],
      PROFILE.concurrency,
      PROFILE.halfSeconds,
      cpuNow,
    );
    if (cpuByKind) say(`  CPU ms per order: ${JSON.stringify(cpuByKind)}`);
    const pgAfter = await pgCounters(pool);
    const ordersStarted = Math.max(1, orderSeq - ordersBefore);
    const postgresPerOrder = {
      method:
        'pg_stat_database.xact_commit and pg_stat_wal over the interleaved closed-loop phase ÷ orders submitted in it (bare and stubbed runs do not touch Postgres; the relay, projections and health checks do)',
      commits: round((pgAfter.commits - pgBefore.commits) / ordersStarted, 1),
      walRecords: round((pgAfter.walRecords - pgBefore.walRecords) / ordersStarted, 1),
      walKb: round((pgAfter.walBytes - pgBefore.walBytes) / 1024 / ordersStarted, 1),
      rowWritesByTable: Object.fromEntries(
        [...pgAfter.tables.entries()]
          .map(
            ([name, n]) => [name, round((n - (pgBefore.tables.get(name) ?? 0)) / ordersStarted, 1)] as const,
          )
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1]),
      ),
    };
    say(`  Postgres per order: ${JSON.stringify(postgresPerOrder)}`);
    const sagaClosed = closed.saga!;
    const bareClosed = closed.bare!;
    const stubClosed = closed.stubbed!;

    // ---- 4. projection lag of the orders the closed loop completed ----
    say('projection lag (order_summary checkpoint time − event recorded_at)');
    const projectionLag = {
      ...(await measureProjectionLag(pool, [...orderIds])),
      relay: relay.stats().leader
        ? 'the bench process (no relay of the stack held the orders relay lock)'
        : 'the stack (the bench relay stood by)',
    };

    // ---- where a saga's time goes: activity queue wait vs run time, from workflow histories ----
    say('saga breakdown from workflow histories (sample of the closed loop + the slowest)');
    const breakdown = await historyBreakdown(client, sagaTimes);
    const bareBreakdown = await historyBreakdown(benchClient, bareTimes);
    const stubBreakdown = await historyBreakdown(benchClient, stubTimes);

    // ---- 1. open-loop ladder (saga) ----
    const base = Math.max(0.5, sagaClosed.perSecond);
    const rungs: OpenLoopResult[] = [];
    for (const f of PROFILE.ladder) {
      const rate = round(base * f, 2);
      say(`open loop: ${rate}/s for ${PROFILE.rungSeconds}s`);
      const r = await openLoop(sagaOpenOp, {
        rate,
        seconds: PROFILE.rungSeconds,
        drainSeconds: Math.max(15, PROFILE.rungSeconds * 2),
      });
      say(
        `  offered ${r.offeredPerSecond}/s → ${r.perSecond}/s completed, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.failed} failed, ${r.unfinished} unfinished`,
      );
      rungs.push(r);
    }
    const knee = kneeOf(rungs.map((r) => ({ ...r, completedPerSecond: r.perSecond })));

    // ---- 5a. cost growth: bare latency against activities, one at a time ----
    say(`cost growth: bare workflow with ${PROFILE.growthActivities.join('/')} activities, sequential`);
    const growthPoints = [];
    for (const n of PROFILE.growthActivities) {
      const lat: number[] = [];
      for (let i = 0; i < PROFILE.growthSamples; i++) {
        const t = performance.now();
        await bareOp(n)(0, i);
        lat.push(performance.now() - t);
      }
      const s = summarize(lat);
      say(`  ${n} activities: p50 ${s.p50Ms} ms`);
      growthPoints.push({ activities: n, ...s });
    }
    const fit = leastSquares(
      growthPoints.map((p) => p.activities),
      growthPoints.map((p) => p.p50Ms),
    );
    await benchWorkers.stop();
    benchWorkers = undefined;

    // ---- 5b. throughput against worker processes per queue (production workers) ----
    const perQueue = [];
    let running = 1;
    for (const n of PROFILE.workersPerQueue) {
      const ports: number[] = [];
      while (running < n) {
        running++;
        say(`starting a worker process #${running} per queue`);
        for (const service of SERVICES) {
          const port = await freePort();
          ports.push(port);
          const name = `${service}-bench-${running}`;
          stack.supervisor.start({
            name,
            ...entry(`workers/${service}`),
            env: {
              TEMPORAL_ADDRESS: stack.temporalAddress,
              DATABASE_URL: stack.databaseUrl,
              AUTH_JWT_SECRET: stack.jwtSecret,
              WORKER_METRICS_PORT: String(port),
              // its own free port too: metrics port + 1000 (the default) can be an ephemeral port in use
              WORKER_SDK_METRICS_PORT: String(await freePort()),
            },
          });
          extraWorkers.push(name);
        }
      }
      for (const port of ports) await waitHealthy(`http://127.0.0.1:${port}/health`, 120_000);
      if (n === 1) {
        // one process per queue is the stack as launched: the closed-loop saga figure above
        perQueue.push({ workersPerQueue: 1, ...sagaClosed });
        continue;
      }
      const r = await closedLoop(sagaOp, {
        concurrency: PROFILE.concurrency,
        seconds: PROFILE.workersSeconds,
        rampSeconds: PROFILE.rampSeconds,
      });
      say(`  ${n} worker process(es) per queue: ${r.perSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      perQueue.push({ workersPerQueue: n, ...r });
    }

    // ---- 6. versions and settings ----
    const pgVersion =
      (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '';
    const pgSettings = Object.fromEntries(
      (
        await pool.query<{ name: string; setting: string; unit: string | null }>(
          `SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
          [
            [
              'shared_buffers',
              'fsync',
              'synchronous_commit',
              'full_page_writes',
              'wal_level',
              'max_connections',
              'work_mem',
              'checkpoint_timeout',
              'max_wal_size',
              'commit_delay',
              'commit_siblings',
              'wal_writer_delay',
              'max_worker_processes',
            ],
          ],
        )
      ).rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]),
    );
    const sys = await connection.workflowService.getSystemInfo({});
    const cliPath = stack.supervisor.names().includes('temporal') ? findCli() : undefined;

    const eventStore = await eventStoreRun;
    const sagaOverhead = round(sagaClosed.perSecond / bareClosed.perSecond, 3);
    const result = {
      at: startedAt.toISOString(),
      mode: SHORT ? 'short' : 'full',
      durationSeconds: round((performance.now() - t0) / 1000, 1),
      note:
        'One 2-core machine shared with other work: absolute figures drift between runs; compare the ratios, ' +
        'whose two sides are measured in the same run, interleaved (A B C C B A), on the same servers.',
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGb: round(os.totalmem() / 2 ** 30, 1),
        loadavgStart: loadStart.map((x) => round(x)),
        loadavgEnd: os.loadavg().map((x) => round(x)),
      },
      versions: {
        node: process.version,
        temporalSdk: pkgVersion('@temporalio/worker'),
        temporalCli: cliPath ? cliVersionOf(cliPath) : 'external server',
        temporalServer: sys.serverVersion ?? 'unknown',
        postgres: pgVersion,
        pg: pkgVersion('pg'),
      },
      settings: {
        devServerArgs: stack.temporalArgs,
        sqlite: {
          file: 'temporal.db under DATA_DIR (persistent)',
          pragmas: stack.temporalArgs.flatMap((a, i) =>
            stack.temporalArgs[i - 1] === '--sqlite-pragma' ? [a] : [],
          ),
        },
        postgres: {
          ...pgSettings,
          connection: new URL(stack.databaseUrl).searchParams.has('host')
            ? 'Unix-domain socket in the data directory'
            : 'TCP',
        },
        worker: {
          ...stack.config.worker,
          reuseV8Context: 'SDK default',
          shutdownGraceTime: '10s',
          pgPoolMax: stack.config.pgPoolMax,
          processesPerQueue: stack.config.workersPerQueue,
          env: Object.fromEntries(
            Object.entries(process.env).filter(([k]) => /^(WORKER_|PG_POOL|RELAY_)/.test(k)),
          ),
        },
        load: {
          concurrency: PROFILE.concurrency,
          halfSeconds: PROFILE.halfSeconds,
          customersAndSkus: CUSTOMERS,
          orderShape: '1 line, quantity 1, price 100 cents, country US; one SKU and one customer per slot',
          cancellationWindowMs: 0,
          carrier: { failureRate: 0, latencyMs: 0 },
        },
      },
      saga: {
        method:
          'POST /orders through the gateway (admin token, Idempotency-Key), then the Temporal client awaits the ' +
          'workflow result (push: a long-poll on the history, no polling of the API); only COMPLETED counts',
        activities: SAGA_ACTIVITIES,
        closedLoop: { concurrency: PROFILE.concurrency, ...sagaClosed },
        breakdown,
        postgresPerOrder,
        openLoop: {
          method:
            'order i is due at start + i/rate; latency from that intended start; rates are fractions of the closed-loop throughput',
          rungs,
          kneePerSecond: knee ?? null,
          kneeRule: 'highest offered rate with completions ≥ 90 % of offered and p50 ≤ 2 × the lowest rung',
        },
      },
      bareTemporal: {
        method:
          'bareWorkflow (bench/workflows/bare.ts): the same 9 activities, no-op, on the same task queue names in the ' +
          'same order, saga forward-step options; started by the Temporal client in namespace "bench" of the same ' +
          'dev server; 4 bench worker processes (one per queue) with the production worker options',
        activities: SAGA_ACTIVITIES,
        closedLoop: { concurrency: PROFILE.concurrency, ...bareClosed },
        breakdown: bareBreakdown,
      },
      stubbedSaga: {
        method:
          'the real orderSaga workflow code (same start options as the gateway) with no-op activities registered ' +
          'under the real names, on the bench workers; started by the Temporal client (no gateway)',
        closedLoop: { concurrency: PROFILE.concurrency, ...stubClosed },
        breakdown: stubBreakdown,
      },
      ratios: {
        sagaOverhead,
        stubbedOverBare: round(stubClosed.perSecond / bareClosed.perSecond, 3),
        fullOverStubbed: round(sagaClosed.perSecond / stubClosed.perSecond, 3),
        eventStoreEfficiency: round(Math.min(...eventStore.levels.map((l) => l.ratio)), 3),
        eventStoreWithOutboxEfficiencyByWriters: Object.fromEntries(
          eventStore.levels.map((l) => [l.writers, l.withOutboxRatio]),
        ),
        eventStoreEfficiencyByWriters: Object.fromEntries(eventStore.levels.map((l) => [l.writers, l.ratio])),
        eventStoreWithoutGroupCommitEfficiencyByWriters: Object.fromEntries(
          eventStore.levels.map((l) => [l.writers, l.withoutGroupCommitRatio]),
        ),
        targets: { sagaOverhead: 0.8, eventStoreEfficiency: 0.7 },
      },
      cpuPerOrder: cpuByKind
        ? {
            method:
              'user + system CPU of each process group (Linux /proc) around every closed-loop half, ÷ the units ' +
              'completed in it (ramp and drain included); milliseconds per order. serviceWorkers: the four ' +
              'production worker processes (saga, activities, outbox relays, projections); benchWorkers: the ' +
              'bench-only workers (bare and stubbed); postgres: the postmaster and all its backends',
            ...cpuByKind,
          }
        : 'unavailable (no /proc)',
      eventStore: {
        method:
          'bench/eventstore.ts as a child (its own durable throwaway Postgres, before the stack starts): one-event ' +
          'appends with expected version on distinct streams vs a plain INSERT of the same row shape, alternated; ' +
          "the store's defaults (concurrent one-event appends group-committed), and the same with group commit off",
        secondsPerWorkload: PROFILE.eventStoreSeconds,
        levels: eventStore.levels,
      },
      projectionLag,
      costGrowth: {
        bare: {
          method: `p50 of ${PROFILE.growthSamples} sequential bare workflows per point; least-squares line`,
          points: growthPoints,
          msPerActivity: round(fit.slope, 2),
          interceptMs: round(fit.intercept, 1),
          r2: round(fit.r2, 3),
        },
        saga: {
          feasible: false,
          reason:
            'the saga has a fixed number of activities (9 on the happy path); varying it needs a step-count knob in the workflow',
        },
        workersPerQueue: {
          method:
            'extra production worker processes per queue started into the running stack (same as WORKERS_PER_QUEUE); saga closed loop',
          points: perQueue,
        },
      },
    };
    const jsonPath = path.join(OUT_DIR, 'latest.json');
    const svgPath = path.join(OUT_DIR, 'latest.svg');
    fs.writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(svgPath, chartOf(result));
    printTable(result);
    say(`wrote ${jsonPath}`);
    say(`wrote ${svgPath}`);
    say(`wrote ${eventStoreOut} (bench/eventstore.ts)`);
  } finally {
    say('stopping');
    await relay?.stop().catch(() => undefined);
    await benchWorkers?.stop().catch(() => undefined);
    for (const n of extraWorkers) await stack.supervisor.stop(n).catch(() => undefined);
    await connection.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function findCli(): string | undefined {
  const dir = path.join(os.homedir(), '.cache', 'order-saga', 'temporal-cli');
  const bin = process.env.TEMPORAL_CLI_PATH;
  if (bin) return bin;
  try {
    const versions = fs.readdirSync(dir).sort();
    const last = versions.at(-1);
    return last ? path.join(dir, last, 'temporal') : undefined;
  } catch {
    return undefined;
  }
}

function cliVersionOf(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms`);
}

const tsMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0;

/**
 * Per activity type, over a sample of completed sagas (and the slowest one on its own): schedule→start
 * (time in the task queue: matching, poller and slot availability) and start→close (the activity itself),
 * and retried attempts; plus the time the sagas spent outside activities (workflow tasks, start).
 */
async function historyBreakdown(client: Client, times: { workflowId: string; ms: number }[]) {
  if (times.length === 0) return { sampled: 0 };
  const byMs = [...times].sort((a, b) => b.ms - a.ms);
  const step = Math.max(1, Math.floor(times.length / 20));
  const sample = [...new Set([byMs[0]!, ...times.filter((_, i) => i % step === 0).slice(0, 20)])];
  const per = new Map<string, { wait: number[]; run: number[]; retries: number }>();
  const outside: number[] = [];
  let slowest: Record<string, unknown> | undefined;
  for (const t of sample) {
    const history = await client.workflow.getHandle(t.workflowId).fetchHistory();
    const events = history.events ?? [];
    const scheduled = new Map<string, { type: string; at: number }>();
    const started = new Map<string, { at: number; attempt: number }>();
    const first = tsMs(events[0]?.eventTime);
    const last = tsMs(events.at(-1)?.eventTime);
    let inActivities = 0;
    const steps: { activity: string; waitMs: number; runMs: number; attempt: number }[] = [];
    for (const e of events) {
      const id = String(e.eventId);
      if (e.activityTaskScheduledEventAttributes) {
        scheduled.set(id, {
          type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
          at: tsMs(e.eventTime),
        });
      } else if (e.activityTaskStartedEventAttributes) {
        started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), {
          at: tsMs(e.eventTime),
          attempt: e.activityTaskStartedEventAttributes.attempt ?? 1,
        });
      } else if (e.activityTaskCompletedEventAttributes) {
        const sid = String(e.activityTaskCompletedEventAttributes.scheduledEventId);
        const s = scheduled.get(sid);
        const st = started.get(sid);
        if (!s || !st) continue;
        const end = tsMs(e.eventTime);
        const entry = per.get(s.type) ?? { wait: [], run: [], retries: 0 };
        entry.wait.push(st.at - s.at);
        entry.run.push(end - st.at);
        if (st.attempt > 1) entry.retries++;
        per.set(s.type, entry);
        inActivities += end - s.at;
        steps.push({
          activity: s.type,
          waitMs: round(st.at - s.at, 1),
          runMs: round(end - st.at, 1),
          attempt: st.attempt,
        });
      }
    }
    outside.push(last - first - inActivities);
    if (t === byMs[0]) {
      slowest = {
        workflowId: t.workflowId,
        clientMs: round(t.ms, 1),
        historyMs: round(last - first, 1),
        steps,
      };
    }
  }
  return {
    sampled: sample.length,
    method:
      'workflow histories: ActivityTaskScheduled → Started (queue wait) → Completed (run); "outside" = history span minus activity spans (workflow tasks between steps)',
    perActivity: Object.fromEntries(
      [...per.entries()].map(([k, v]) => [
        k,
        {
          queueWaitP50Ms: summarize(v.wait).p50Ms,
          runP50Ms: summarize(v.run).p50Ms,
          runP90Ms: summarize(v.run).p90Ms,
          retried: v.retries,
        },
      ]),
    ),
    outsideActivitiesP50Ms: summarize(outside).p50Ms,
    slowest,
  };
}

async function pgCounters(
  pool: ReturnType<typeof createPool>,
): Promise<{ commits: number; walRecords: number; walBytes: number; tables: Map<string, number> }> {
  const r = await pool.query<{ commits: string; wal_records: string; wal_bytes: string }>(
    `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS commits,
            wal_records, wal_bytes FROM pg_stat_wal`,
  );
  const row = r.rows[0]!;
  const t = await pool.query<{ name: string; writes: string }>(
    `SELECT schemaname || '.' || relname AS name, n_tup_ins + n_tup_upd + n_tup_del AS writes FROM pg_stat_user_tables`,
  );
  return {
    commits: Number(row.commits),
    walRecords: Number(row.wal_records),
    walBytes: Number(row.wal_bytes),
    tables: new Map(t.rows.map((x) => [x.name, Number(x.writes)])),
  };
}

async function measureProjectionLag(
  pool: ReturnType<typeof createPool>,
  orderIds: string[],
): Promise<Record<string, unknown>> {
  const streams = [...new Set(orderIds.map((id) => `order-${id}`))];
  const method =
    'per completed order: orders.projection_checkpoints.updated_at (now() of the projection transaction that ' +
    "applied the stream's last event to order_summary) − orders.events.recorded_at of that event (now() of the " +
    'append, a single-statement transaction); both on the Postgres clock; one sample per order (its final event)';
  const deadline = Date.now() + 30_000;
  let lags: number[] = [];
  let pending = streams.length;
  while (Date.now() < deadline) {
    // a stream's current version is its highest event version (index (stream_id, version));
    // streams with no event yet are left out, as they were when they had no row of their own
    const r = await pool.query<{ lag_ms: number | null; caught_up: boolean }>(
      `SELECT extract(epoch FROM (c.updated_at - e.recorded_at)) * 1000 AS lag_ms,
              c.version = cur.version AS caught_up
         FROM unnest($1::text[]) AS s(stream_id)
        CROSS JOIN LATERAL (SELECT max(version) AS version FROM orders.events WHERE stream_id = s.stream_id) cur
         LEFT JOIN orders.projection_checkpoints c
           ON c.stream_id = s.stream_id AND c.projection = 'order_summary'
         LEFT JOIN orders.events e ON e.stream_id = c.stream_id AND e.version = c.version
        WHERE cur.version IS NOT NULL`,
      [streams],
    );
    pending = r.rows.filter((x) => !x.caught_up).length;
    lags = r.rows.filter((x) => x.caught_up && x.lag_ms !== null).map((x) => Number(x.lag_ms));
    if (pending === 0) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  return { method, orders: streams.length, notCaughtUpAfter30s: pending, ...summarize(lags) };
}

type Result = {
  saga: { closedLoop: LoadResult; openLoop: { rungs: OpenLoopResult[]; kneePerSecond: number | null } };
  bareTemporal: { closedLoop: LoadResult };
  stubbedSaga: { closedLoop: LoadResult };
  ratios: Record<string, unknown> & {
    sagaOverhead: number;
    stubbedOverBare: number;
    fullOverStubbed: number;
    eventStoreEfficiency: number;
  };
  eventStore: { levels: EventStoreLevel[] };
  projectionLag: Record<string, unknown>;
  /** per kind: CPU ms per order by process group (see bench/cpu.ts), or why it is missing */
  cpuPerOrder: Record<string, unknown> | string;
  costGrowth: {
    bare: {
      points: { activities: number; p50Ms: number }[];
      msPerActivity: number;
      interceptMs: number;
      r2: number;
    };
    workersPerQueue: { points: (LoadResult & { workersPerQueue: number })[] };
  };
  mode: string;
  at: string;
};

function chartOf(r: Result): string {
  const ladder = r.saga.openLoop.rungs;
  const g = r.costGrowth.bare;
  const xs = g.points.map((p) => p.activities);
  const panels: Panel[] = [
    {
      kind: 'bars',
      title: `Completions/s, ${r.saga.closedLoop.samples ? '' : ''}closed loop (same run)`,
      unit: 'workflows completed / s',
      bars: [
        { label: 'saga', value: r.saga.closedLoop.perSecond, color: '#e15759' },
        { label: 'stubbed', value: r.stubbedSaga.closedLoop.perSecond, color: '#f28e2b' },
        { label: 'bare', value: r.bareTemporal.closedLoop.perSecond, color: '#4e79a7' },
        ...r.costGrowth.workersPerQueue.points.map((p) => ({
          label: `saga ${p.workersPerQueue}w/q`,
          value: p.perSecond,
          color: '#b07aa1',
        })),
      ],
    },
    {
      kind: 'lines',
      title: 'Saga open-loop ladder: latency vs offered rate',
      xLabel: 'offered orders / s',
      yLabel: 'ms from intended start',
      series: [
        { name: 'p50', color: '#4e79a7', points: ladder.map((x) => [x.offeredPerSecond, x.p50Ms]) },
        { name: 'p99', color: '#e15759', points: ladder.map((x) => [x.offeredPerSecond, x.p99Ms]) },
        {
          name: 'completed/s ×100',
          color: '#59a14f',
          points: ladder.map((x) => [x.offeredPerSecond, x.perSecond * 100]),
        },
      ],
    },
    {
      kind: 'lines',
      title: `Bare cost growth: ${g.msPerActivity} ms per activity (r² ${g.r2})`,
      xLabel: 'activities',
      yLabel: 'p50 ms',
      series: [
        {
          name: 'measured p50',
          color: '#4e79a7',
          points: g.points.map((p) => [p.activities, p.p50Ms]),
          dotsOnly: true,
        },
        {
          name: 'fit',
          color: '#999',
          dashed: true,
          points: [Math.min(...xs), Math.max(...xs)].map((x) => [x, g.interceptMs + g.msPerActivity * x]),
        },
      ],
    },
    {
      kind: 'lines',
      title: 'Event store: appends/s vs plain INSERT/s',
      xLabel: 'concurrent writers',
      yLabel: 'per second',
      series: [
        {
          name: 'append',
          color: '#e15759',
          points: r.eventStore.levels.map((l) => [l.writers, l.appendsPerSecond]),
        },
        {
          name: 'plain INSERT',
          color: '#4e79a7',
          points: r.eventStore.levels.map((l) => [l.writers, l.plainInsertsPerSecond]),
        },
      ],
    },
  ];
  return renderSvg(
    `order-saga bench (${r.mode}) ${r.at}`,
    panels,
    `saga/bare ${r.ratios.sagaOverhead} · stubbed/bare ${r.ratios.stubbedOverBare} · full/stubbed ${r.ratios.fullOverStubbed} · event store/INSERT ${r.ratios.eventStoreEfficiency} (min over writers)`,
  );
}

function printTable(r: Result): void {
  const rows: [string, string, string, string, string][] = [];
  const row = (name: string, l: LoadResult) =>
    rows.push([name, `${l.perSecond}/s`, `${l.p50Ms}`, `${l.p90Ms}`, `${l.p99Ms}`]);
  row('saga (gateway, closed loop)', r.saga.closedLoop);
  row('stubbed saga (closed loop)', r.stubbedSaga.closedLoop);
  row('bare Temporal (closed loop)', r.bareTemporal.closedLoop);
  for (const x of r.saga.openLoop.rungs) row(`saga open loop @${x.offeredPerSecond}/s`, x);
  for (const p of r.costGrowth.workersPerQueue.points) row(`saga, ${p.workersPerQueue} worker(s)/queue`, p);
  for (const l of r.eventStore.levels) {
    rows.push([
      `event store append, ${l.writers} writers`,
      `${l.appendsPerSecond}/s`,
      '',
      '',
      `${l.appendP99Ms}`,
    ]);
    rows.push([
      `plain INSERT, ${l.writers} writers`,
      `${l.plainInsertsPerSecond}/s`,
      '',
      '',
      `${l.plainP99Ms}`,
    ]);
    if (l.appendWithOutboxPerSecond !== null) {
      rows.push([
        `append + outbox row, ${l.writers} writers`,
        `${l.appendWithOutboxPerSecond}/s`,
        '',
        '',
        `${l.appendWithOutboxP99Ms}`,
      ]);
    }
  }
  const lag = r.projectionLag as { p50Ms?: number; p90Ms?: number; p99Ms?: number };
  rows.push(['projection lag (order_summary)', '', `${lag.p50Ms}`, `${lag.p90Ms}`, `${lag.p99Ms}`]);
  const head: [string, string, string, string, string] = ['', 'rate', 'p50 ms', 'p90 ms', 'p99 ms'];
  const all = [head, ...rows];
  const w = [0, 1, 2, 3, 4].map((i) => Math.max(...all.map((x) => x[i]!.length)));
  console.log('');
  for (const x of all)
    console.log(x.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  console.log('');
  console.log(
    `ratios: sagaOverhead (saga ÷ bare) ${r.ratios.sagaOverhead} · stubbed ÷ bare ${r.ratios.stubbedOverBare} · ` +
      `full ÷ stubbed ${r.ratios.fullOverStubbed} · eventStoreEfficiency ${r.ratios.eventStoreEfficiency}`,
  );
  if (typeof r.cpuPerOrder === 'object') {
    const c = r.cpuPerOrder as Record<string, Record<string, number>>;
    const line = (k: string) =>
      `${k} ${c[k]!.total} (${Object.entries(c[k]!)
        .filter(([g, v]) => g !== 'total' && v >= 0.5)
        .map(([g, v]) => `${g} ${v}`)
        .join(', ')})`;
    console.log(
      `CPU ms per order: ${['saga', 'stubbed', 'bare']
        .filter((k) => c[k])
        .map(line)
        .join(' · ')}`,
    );
  }
  console.log(
    `knee of the open-loop ladder: ${r.saga.openLoop.kneePerSecond ?? 'below the lowest rung'}/s · bare cost ` +
      `${r.costGrowth.bare.msPerActivity} ms per added activity (r² ${r.costGrowth.bare.r2})`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('[bench] failed:', err);
    process.exit(1);
  },
);
