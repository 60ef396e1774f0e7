/**
 * The chaos suite: starts its own stack (embedded Postgres, Temporal dev server, carrier, workers, API) on
 * free loopback ports and a temporary DATA_DIR, sets up a catalog and customers through the API, plays the
 * scenarios (scenarios/index.ts), checks every invariant after each one and at the end, and returns a
 * summary. Bounded in time and count; stops the stack by itself.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { mintToken } from '../src/api/tokens';
import { createPool, type Pool } from '../src/db/pool';
import { launchStack, type Stack } from '../src/platform/stack';
import { ApiClient, NO_ANSWER, sleep } from './http';
import { checkInvariants, countersOf, type InvariantReport } from './invariants';
import type { ChaosOptions } from './options';
import { OrdersClient, type Customer } from './orders-client';
import { SKUS, type ChaosRecord, type ScenarioContext } from './scenarios/context';
import { SCENARIOS } from './scenarios';
import { countCompensationBlocked, waitForNoRunning, waitForOutboxDrained, workflowStatuses } from './settle';
import { summarize, type ChaosSummary } from './summary';

export { FULL, SHORT, type ChaosOptions } from './options';
export type { ChaosSummary } from './summary';

/** A small seeded PRNG (mulberry32) so a run's order mix is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const portFree = (p: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/**
 * A free loopback port below the kernel's ephemeral range (32768+), so no outgoing connection can take it
 * while a killed process is being restarted on it. `also` are offsets that must be free too (a worker's
 * metrics port + 1..3 for the other workers and + 1000.. for the SDK's own exporter).
 */
const taken = new Set<number>();
async function pickPort(also: number[] = [0]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const base = 10_000 + Math.floor(Math.random() * 20_000);
    const ports = also.map((o) => base + o);
    if (ports.some((p) => taken.has(p))) continue;
    let ok = true;
    for (const p of ports) if (!(await portFree(p))) ok = false;
    if (!ok) continue;
    ports.forEach((p) => taken.add(p));
    return base;
  }
  throw new Error('no free port below the ephemeral range');
}

async function startStack(opts: ChaosOptions, say: (m: string) => void) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-saga-chaos-'));
  fs.chmodSync(dataDir, 0o777);
  const over: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: String(await pickPort()),
    HOST: '127.0.0.1',
    EMBEDDED_PG_PORT: String(await pickPort()),
    TEMPORAL_PORT: String(await pickPort()),
    TEMPORAL_UI_PORT: String(await pickPort()),
    CARRIER_PORT: String(await pickPort()),
    KAFKA_PORT: String(await pickPort()),
    KAFKA_CONTROLLER_PORT: String(await pickPort()),
    METRICS_PORT_BASE: String(await pickPort([0, 1, 2, 3, 1000, 1001, 1002, 1003])),
    ORDER_CANCELLATION_WINDOW_MS: '1500',
    LOG_LEVEL: 'warn',
    WORKERS_PER_QUEUE: '1',
  };
  const childLog = opts.childLog ? fs.createWriteStream(opts.childLog) : undefined;
  say(`starting the stack (data in ${dataDir})...`);
  const stack: Stack = await launchStack({
    env: {
      ...process.env,
      ...over,
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
      AUTH_JWT_SECRET: undefined,
    },
    childEnv: over,
    say: (m) => say(`stack: ${m}`),
    seed: true,
    ...(childLog
      ? { onChildLine: (name: string, line: string) => childLog.write(`[${name}] ${line}\n`) }
      : {}),
  });
  const urls = {
    carrier: `http://127.0.0.1:${over.CARRIER_PORT}`,
    // the shipping worker is the fourth of orders, inventory, payments, shipping
    shippingMetrics: `http://127.0.0.1:${Number(over.METRICS_PORT_BASE) + 3}/metrics`,
  };
  const cleanup = async () => {
    await stack.stop();
    childLog?.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { stack, urls, cleanup };
}

/** The catalog and the customers, through the API as an admin. */
async function setUp(api: ApiClient, admin: string, customer: (id: string) => Promise<Customer>) {
  const must = async (p: Promise<{ status: number; text: string }>, what: string) => {
    const r = await p;
    if (r.status < 200 || r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
  };
  for (const s of Object.values(SKUS)) {
    await must(
      api.request('PUT', `/inventory/${s.sku}`, { token: admin, body: { name: s.name, price: s.price } }),
      `define ${s.sku}`,
    );
    if (s.stock > 0)
      await must(
        api.request('POST', `/inventory/${s.sku}/restock`, {
          token: admin,
          body: { quantity: s.stock },
          idempotencyKey: `chaos-restock-${s.sku}`,
        }),
        `restock ${s.sku}`,
      );
  }
  const rich = await Promise.all(
    Array.from({ length: 20 }, (_, i) => customer(`chaos-c${String(i).padStart(2, '0')}`)),
  );
  const poor = await customer('chaos-poor');
  const idem = await customer('chaos-idem');
  const deposit = (c: Customer, amount: number) =>
    must(
      api.request('POST', `/accounts/${c.id}/deposits`, {
        token: admin,
        body: { amount },
        idempotencyKey: `chaos-deposit-${c.id}`,
      }),
      `deposit ${c.id}`,
    );
  for (const c of [...rich, idem]) await deposit(c, 10_000_000);
  await deposit(poor, 3_00);
  return { rich, poor, idem };
}

/** A GET through the API as a client would ask it: retried a few times on no answer or a 5xx. */
async function answer<T>(api: ApiClient, token: string, p: string): Promise<T | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await api.request('GET', p, { token });
    if (r.status === 200) return r.json as T;
    if (r.status !== NO_ANSWER && r.status < 500) return undefined;
    await sleep(500 * 2 ** attempt); // client backoff
  }
  return undefined;
}

/** `check(phase)`: waits until quiet, asks the services, and runs every invariant. */
function checker(c: Omit<ScenarioContext, 'check'>, pool: Pool) {
  return async (name: string, phaseStarted: number): Promise<InvariantReport> => {
    c.say(`${name}: waiting for every saga to finish (at most ${c.opts.settleTimeoutMs / 1000}s)...`);
    const running = await waitForNoRunning(c.temporal, c.opts.settleTimeoutMs, (n) =>
      c.say(`${name}: ${n} sagas running`),
    );
    if (running > 0) c.say(`${name}: ${running} sagas still running after the bound`);
    const undelivered = await waitForOutboxDrained(pool, 60_000);
    if (undelivered !== 0) c.say(`${name}: outbox not drained after 60 s (${undelivered})`);
    const serviceStock = new Map<string, { available: number; reserved: number } | undefined>();
    for (const s of Object.values(SKUS))
      serviceStock.set(s.sku, await answer(c.api, c.admin, `/inventory/${s.sku}`));
    const serviceBalances = new Map<string, number | undefined>();
    for (const p of [...c.people.rich, c.people.poor, c.people.idem])
      serviceBalances.set(
        p.id,
        (await answer<{ balance: number }>(c.api, c.admin, `/accounts/${p.id}`))?.balance,
      );
    const report = await checkInvariants(pool, {
      workflows: await workflowStatuses(c.temporal),
      compensationBlocked: await countCompensationBlocked(c.temporal),
      submitted: c.orders.submitted,
      keys: c.orders.keys,
      serviceStock,
      serviceBalances,
    });
    const { details, ...rest } = report;
    c.rec.phases[name] = { ...rest, seconds: Math.round((Date.now() - phaseStarted) / 1000) };
    for (const d of details) c.rec.details.push(`${name}: ${d}`);
    const broken = Object.entries(countersOf(report)).filter(([, v]) => v > 0);
    c.say(
      `${name}: ${report.terminal}/${report.orders} terminal; ${broken.length ? broken.map(([k, v]) => `${k} ${v}`).join(', ') : 'every counter 0'}`,
    );
    return report;
  };
}

async function outcomesOf(pool: Pool) {
  const r = await pool.query<{ t: string; n: number }>(
    `SELECT event_type AS t, count(*)::int AS n FROM orders.events
      WHERE event_type IN ('OrderCompleted','OrderFailed','OrderCancelled') GROUP BY event_type`,
  );
  const n = (t: string) => r.rows.find((x) => x.t === t)?.n ?? 0;
  return { completed: n('OrderCompleted'), failed: n('OrderFailed'), cancelled: n('OrderCancelled') };
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const started = Date.now();
  const say = (msg: string) =>
    opts.say(`[chaos ${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${msg}`);
  const { stack, urls, cleanup } = await startStack(opts, say);
  opts.onStack?.(cleanup);
  // every child started before launchStack returned: each later start is a restart by the supervisor
  const restartsByProcess: Record<string, number> = {};
  stack.supervisor.on('event', (e) => {
    if (e.type === 'started') restartsByProcess[e.name] = (restartsByProcess[e.name] ?? 0) + 1;
  });
  let pool: Pool | undefined;
  let connection: Connection | undefined;
  try {
    if (!stack.apiUp) throw new Error('the API did not come up');
    pool = createPool(stack.databaseUrl, { max: 4, applicationName: 'chaos' });
    connection = await Connection.connect({ address: stack.temporalAddress });
    const temporal = new Client({ connection, namespace: stack.config.temporal.namespace });
    const api = new ApiClient(stack.apiUrl);
    const admin = await mintToken(stack.jwtSecret, { sub: 'admin', role: 'admin', ttlSeconds: 4 * 3600 });
    const customer = async (id: string): Promise<Customer> => ({
      id,
      token: await mintToken(stack.jwtSecret, { sub: id, role: 'customer', ttlSeconds: 4 * 3600 }),
    });
    say(`stack up at ${stack.apiUrl}; setting up catalog and customers through the API`);
    const people = await setUp(api, admin, customer);
    const rec: ChaosRecord = {
      faults: [],
      problems: [],
      details: [],
      injected: { workerKills: 0, temporalRestarts: 0, postgresRestarts: 0 },
      recovered: { workers: 0, temporal: 0, postgres: 0 },
      landedMidRun: 0,
      cancelStatuses: {},
      phases: {},
    };
    const base = {
      opts,
      stack,
      api,
      temporal,
      pool,
      admin,
      people,
      customer,
      orders: new OrdersClient(api),
      random: rng(opts.seed),
      urls,
      rec,
      say,
    };
    const ctx: ScenarioContext = { ...base, check: checker(base, pool) };
    for (const s of SCENARIOS) if (s.enabled(opts)) await s.run(ctx);
    say('final: checking every invariant');
    const final = await ctx.check('final', Date.now());
    rec.problems.push(...ctx.orders.refused);
    return summarize({
      opts,
      rec,
      orders: ctx.orders,
      final,
      outcomes: await outcomesOf(pool),
      restartsByProcess,
      started,
    });
  } finally {
    say('stopping the stack...');
    await connection?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await cleanup().catch((err: unknown) => say(`stop: ${String(err)}`));
  }
}
