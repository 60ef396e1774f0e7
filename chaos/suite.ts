/**
 * The chaos suite: starts its own stack (embedded Postgres, Temporal dev server, carrier, workers, API) on
 * free loopback ports and a temporary DATA_DIR, runs the fault, contention and abuse scenarios of issue 8,
 * checks the invariants from Postgres and Temporal after each phase, and returns a summary. Bounded in
 * time and count; stops the stack by itself.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { mintToken } from '../src/api/tokens';
import { createPool, type Pool } from '../src/db/pool';
import { launchStack, type Stack } from '../src/platform/stack';
import { hostileCases, smallBattery } from './hostile';
import { ApiClient, mapLimit, NO_ANSWER, sleep, type ApiResponse } from './http';
import {
  BROKEN_INVARIANT_COUNTERS,
  checkInvariants,
  countCompensationBlocked,
  waitForNoRunning,
  workflowStatuses,
  waitForOutboxDrained,
  writeFootprint,
  type InvariantReport,
} from './invariants';

export interface ChaosOptions {
  mode: 'full' | 'short';
  /** orders of the fault scenario */
  orders: number;
  /** concurrent single-unit orders for the last units of one SKU */
  contentionOrders: number;
  contentionStock: number;
  /** client concurrency of the contention scenario */
  contentionConcurrency: number;
  idempotencyConcurrency: number;
  /** inject worker kills, Temporal and Postgres restarts, carrier faults */
  faults: { workerKills: number; temporalRestart: boolean; postgresRestart: boolean; carrier: boolean };
  /** how long the fault scenario's submissions are spread over */
  loadSeconds: number;
  /** bound on waiting for every saga to finish, per phase */
  settleTimeoutMs: number;
  hostile: 'full' | 'small';
  seed: number;
  say: (msg: string) => void;
  /** where the stack's children's log lines go (a file), if anywhere */
  childLog?: string;
  /** called once the stack runs, with a function that stops it (signal handlers, the run's time cap) */
  onStack?: (stop: () => Promise<void>) => void;
}

export const FULL: Omit<ChaosOptions, 'say'> = {
  mode: 'full',
  orders: 300,
  contentionOrders: 1000,
  contentionStock: 10,
  contentionConcurrency: 100,
  idempotencyConcurrency: 50,
  faults: { workerKills: 16, temporalRestart: true, postgresRestart: true, carrier: true },
  loadSeconds: 70,
  settleTimeoutMs: 300_000,
  hostile: 'full',
  seed: 8,
};

export const SHORT: Omit<ChaosOptions, 'say'> = {
  mode: 'short',
  orders: 12,
  contentionOrders: 30,
  contentionStock: 3,
  contentionConcurrency: 30,
  idempotencyConcurrency: 10,
  faults: { workerKills: 1, temporalRestart: false, postgresRestart: false, carrier: false },
  loadSeconds: 6,
  settleTimeoutMs: 120_000,
  hostile: 'small',
  seed: 8,
};

/** The invariant counters of the final check, as the summary reports them. */
type InvariantCounts = Pick<
  InvariantReport,
  'terminal' | 'compensationBlocked' | (typeof BROKEN_INVARIANT_COUNTERS)[number]
>;

export interface ChaosSummary extends InvariantCounts {
  ok: boolean;
  mode: string;
  failures: string[];
  ordersSubmitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  hostileRequests: number;
  hostile5xx: number;
  hostileNon4xx: number;
  hostileWrites: number;
  killsInjected: number;
  restarts: number;
  restartsByProcess: Record<string, number>;
  faults: string[];
  submitRetries: number;
  cancelStatuses: Record<string, number>;
  /** the carrier circuit breaker's state sampled each second from the shipping worker's /metrics */
  breaker: { samples: number; openSamples: number; halfOpenSamples: number };
  submitGaveUp: number;
  contention: {
    orders: number;
    stock: number;
    accepted: number;
    completed: number;
    secondsToSubmitAll: number;
  };
  idempotency: {
    concurrent: number;
    statuses: Record<string, number>;
    distinctOrders: number;
    mismatchStatus: number;
    workflows: number;
    orderStreams: number;
  };
  phases: Record<string, Omit<InvariantReport, 'details'> & { seconds: number }>;
  details: string[];
  seconds: number;
  startedAt: string;
}

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

async function portsFree(base: number, n: number): Promise<boolean> {
  for (let p = base; p < base + n; p++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!ok) return false;
  }
  return true;
}

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
    for (const p of ports) if (!(await portsFree(p, 1))) ok = false;
    if (!ok) continue;
    ports.forEach((p) => taken.add(p));
    return base;
  }
  throw new Error('no free port below the ephemeral range');
}

const SKUS = {
  a: { sku: 'CHAOS-A', name: 'Chaos widget', price: 10_00, stock: 100_000 },
  b: { sku: 'CHAOS-B', name: 'Chaos gadget', price: 25_00, stock: 100_000 },
  scarce: { sku: 'CHAOS-SCARCE', name: 'Scarce thing', price: 5_00, stock: 4 },
  hot: { sku: 'CHAOS-HOT', name: 'Last units', price: 1_00, stock: 0 },
} as const;

const ADDRESS = { name: 'Chaos Tester', line1: '1 Loop Rd', city: 'Localhost', postalCode: '12345' };

interface Customer {
  id: string;
  token: string;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const started = Date.now();
  const say = (msg: string) =>
    opts.say(`[chaos ${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${msg}`);
  const random = rng(opts.seed);
  const details: string[] = [];
  const faults: string[] = [];
  const restartsByProcess: Record<string, number> = {};
  let killsInjected = 0;
  let postgresRestarts = 0;

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
  opts.onStack?.(async () => {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  // every child started before launchStack returned: each later start is a restart by the supervisor
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
    const secret = stack.jwtSecret;
    const admin = await mintToken(secret, { sub: 'admin', role: 'admin', ttlSeconds: 4 * 3600 });
    const customer = async (id: string): Promise<Customer> => ({
      id,
      token: await mintToken(secret, { sub: id, role: 'customer', ttlSeconds: 4 * 3600 }),
    });
    const carrierUrl = `http://127.0.0.1:${over.CARRIER_PORT}`;

    // ---- set-up through the API (admin) ------------------------------------------------------------
    say(`stack up at ${stack.apiUrl}; setting up catalog and customers through the API`);
    const must = (r: ApiResponse, what: string) => {
      if (r.status < 200 || r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
      return r;
    };
    for (const s of Object.values(SKUS)) {
      must(
        await api.request('PUT', `/inventory/${s.sku}`, {
          token: admin,
          body: { name: s.name, price: s.price },
        }),
        `define ${s.sku}`,
      );
      if (s.stock > 0)
        must(
          await api.request('POST', `/inventory/${s.sku}/restock`, {
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
    for (const c of [...rich, idem]) {
      must(
        await api.request('POST', `/accounts/${c.id}/deposits`, {
          token: admin,
          body: { amount: 10_000_000 },
          idempotencyKey: `chaos-deposit-${c.id}`,
        }),
        `deposit ${c.id}`,
      );
    }
    must(
      await api.request('POST', `/accounts/${poor.id}/deposits`, {
        token: admin,
        body: { amount: 3_00 },
        idempotencyKey: `chaos-deposit-${poor.id}`,
      }),
      `deposit ${poor.id}`,
    );

    // ---- the client side: submit with retries under the same key ----------------------------------
    const submitted = new Set<string>();
    const keys = new Map<string, Set<string>>();
    let submitRetries = 0;
    /** answers to POST /orders/{id}/cancel, by status (a 503 is retried with the same key) */
    const cancelStatuses: Record<string, number> = {};
    const breaker = { samples: 0, openSamples: 0, halfOpenSamples: 0 };
    let submitGaveUp = 0;
    const submit = async (
      c: Customer,
      body: unknown,
      key = `chaos-${randomUUID()}`,
      budgetMs = 120_000,
    ): Promise<{ status: number; orderId?: string }> => {
      const deadline = Date.now() + budgetMs;
      for (let attempt = 0; ; attempt++) {
        const r = await api.request('POST', '/orders', { token: c.token, body, idempotencyKey: key });
        if (r.status === 202) {
          const orderId = (r.json as { orderId: string }).orderId;
          submitted.add(orderId);
          const k = `${c.id}:${key}`;
          const set = keys.get(k) ?? new Set<string>();
          set.add(orderId);
          keys.set(k, set);
          return { status: 202, orderId };
        }
        const retryable = r.status === NO_ANSWER || r.status >= 500 || r.status === 409;
        if (!retryable || Date.now() > deadline) {
          if (retryable) submitGaveUp += 1;
          else details.push(`order refused: ${r.status} ${r.text.slice(0, 200)}`);
          return { status: r.status };
        }
        submitRetries += 1;
        await sleep(Math.min(3000, 200 * 2 ** Math.min(attempt, 4)));
      }
    };

    const phases: ChaosSummary['phases'] = {};
    const check = async (name: string, phaseStarted: number, rebuild: boolean): Promise<InvariantReport> => {
      say(`${name}: waiting for every saga to finish (at most ${opts.settleTimeoutMs / 1000}s)...`);
      const running = await waitForNoRunning(temporal, opts.settleTimeoutMs, (n) =>
        say(`${name}: ${n} sagas running`),
      );
      if (running > 0) say(`${name}: ${running} sagas still running after the bound`);
      const undelivered = await waitForOutboxDrained(pool!, 60_000);
      if (undelivered > 0) say(`${name}: ${undelivered} outbox rows still undelivered after 60s`);
      // wait for the read models to have applied what the relay delivered
      const report = await checkInvariants(pool!, {
        workflows: await workflowStatuses(temporal),
        compensationBlocked: await countCompensationBlocked(temporal),
        submitted,
        keys,
        rebuild,
      });
      const { details: d, ...rest } = report;
      phases[name] = { ...rest, seconds: Math.round((Date.now() - phaseStarted) / 1000) };
      for (const x of d) details.push(`${name}: ${x}`);
      say(
        `${name}: ${report.terminal}/${report.orders} terminal, stuck ${report.stuck}, unrecorded ${report.unrecorded}, double charges ${report.doubleCharges}, ` +
          `money drift ${report.moneyDrift}, stock drift ${report.stockDrift}, oversold ${report.oversold}, gaps ${report.streamGaps}, ` +
          `undelivered ${report.undelivered}, projection mismatches ${report.projectionMismatches}`,
      );
      return report;
    };

    // ---- scenario 1-4: ~N orders under worker kills, Temporal and Postgres restarts, carrier faults ----
    {
      const t0 = Date.now();
      say(`faults: ${opts.orders} orders over ${opts.loadSeconds}s with worker kills and restarts`);
      const plan = Array.from({ length: opts.orders }, (_, i) => {
        const r = random();
        const c = rich[Math.floor(random() * rich.length)]!;
        const country = ['US', 'DE', 'JP', 'GB', 'CA'][i % 5]!;
        if (r < 0.05) return { c: poor, items: [{ sku: SKUS.b.sku, quantity: 1 }], country, cancel: false };
        if (r < 0.1) return { c, items: [{ sku: SKUS.a.sku, quantity: 1 }], country: 'BR', cancel: false };
        if (r < 0.15) return { c, items: [{ sku: SKUS.scarce.sku, quantity: 1 }], country, cancel: false };
        const items: { sku: string; quantity: number }[] = [
          { sku: SKUS.a.sku, quantity: 1 + Math.floor(random() * 3) },
        ];
        if (random() < 0.5) items.push({ sku: SKUS.b.sku, quantity: 1 + Math.floor(random() * 2) });
        return { c, items, country, cancel: r < 0.22 };
      });
      let done = 0;
      let loadOver = false;
      const cancels: Promise<void>[] = [];
      const injector = (async () => {
        const services = ['payments', 'inventory', 'shipping', 'orders'];
        const span = opts.loadSeconds * 1000 + 10_000;
        const killEvery = opts.faults.workerKills > 0 ? span / opts.faults.workerKills : Infinity;
        let nextKill = Math.min(2000, killEvery);
        let kills = 0;
        const events: { at: number; run: () => Promise<void>; done?: boolean }[] = [];
        if (opts.faults.temporalRestart) {
          events.push({
            at: 0.35 * span,
            run: async () => {
              const pid = stack.supervisor.pid('temporal');
              if (!pid) return;
              const t = Date.now();
              process.kill(pid, 'SIGKILL');
              killsInjected += 1;
              say(
                `fault: SIGKILL the Temporal dev server (pid ${pid}); the supervisor restarts it on the same SQLite file`,
              );
              // back when it answers a visibility query again (bounded)
              let back = -1;
              while (Date.now() - t < 60_000) {
                await sleep(250);
                const again = stack.supervisor.pid('temporal');
                if (!again || again === pid) continue;
                const ok = await temporal.workflow
                  .count('')
                  .then(() => true)
                  .catch(() => false);
                if (ok) {
                  back = Date.now() - t;
                  break;
                }
              }
              faults.push(
                `SIGKILL temporal dev server (pid ${pid}), ${back >= 0 ? `answering again after ${back} ms` : 'NOT back within 60 s'}`,
              );
              if (back < 0)
                details.push('the Temporal dev server did not come back within 60 s of its SIGKILL');
              say(`fault: Temporal ${back >= 0 ? `back after ${back} ms` : 'not back after 60 s'}`);
            },
          });
        }
        if (opts.faults.postgresRestart) {
          events.push({
            at: 0.6 * span,
            run: async () => {
              say('fault: Postgres immediate restart (SIGQUIT to the postmaster)');
              const t = Date.now();
              await stack.postgres!.restart!('immediate');
              postgresRestarts += 1;
              faults.push(`Postgres immediate restart (${Date.now() - t} ms down)`);
              say(`fault: Postgres back after ${Date.now() - t} ms`);
            },
          });
        }
        while (!loadOver || Date.now() - t0 < span) {
          const now = Date.now() - t0;
          if (now >= span && loadOver) break;
          for (const e of events) {
            if (!e.done && now >= e.at) {
              e.done = true;
              await e.run().catch((err: unknown) => {
                faults.push(`fault failed: ${String(err)}`);
                say(`fault failed: ${String(err)}`);
              });
            }
          }
          if (kills < opts.faults.workerKills && now >= nextKill) {
            const name = services[kills % services.length]!;
            const pid = stack.supervisor.pid(name);
            if (pid) {
              process.kill(pid, 'SIGKILL');
              killsInjected += 1;
              faults.push(`SIGKILL ${name} worker (pid ${pid})`);
              say(`fault: SIGKILL ${name} worker (pid ${pid}); ${done}/${opts.orders} orders submitted`);
            }
            kills += 1;
            nextKill += killEvery;
          }
          await sleep(250);
        }
        // whatever was scheduled and not yet run (a slow start) runs now, so the plan is always complete
        for (const e of events) if (!e.done) await e.run().catch(() => undefined);
      })();
      const perOrderMs = (opts.loadSeconds * 1000) / opts.orders;
      const lanes = Math.min(16, Math.max(2, Math.ceil(opts.orders / 20)));
      await mapLimit(plan, lanes, async (p, i) => {
        const due = t0 + i * perOrderMs;
        if (Date.now() < due) await sleep(due - Date.now());
        const body = { items: p.items, shippingAddress: { ...ADDRESS, country: p.country } };
        const r = await submit(p.c, body);
        done += 1;
        if (done % Math.max(1, Math.floor(opts.orders / 10)) === 0)
          say(`faults: ${done}/${opts.orders} orders submitted`);
        if (p.cancel && r.orderId) {
          // the customer changes their mind right away; detached so it never holds up a submission lane
          const orderId = r.orderId;
          cancels.push(
            (async () => {
              const key = `chaos-cancel-${orderId}`;
              for (let a = 0; a < 6; a++) {
                const c = await api.request('POST', `/orders/${orderId}/cancel`, {
                  token: p.c.token,
                  body: { reason: 'chaos: changed my mind' },
                  idempotencyKey: key,
                });
                cancelStatuses[c.status] = (cancelStatuses[c.status] ?? 0) + 1;
                if (c.status !== NO_ANSWER && c.status < 500 && c.status !== 404) break;
                await sleep(2000);
              }
            })(),
          );
        }
      });
      await Promise.all(cancels);
      loadOver = true;
      await injector;
      await check('faults', t0, false);
    }

    // ---- scenario 4: carrier outage, slowness and flakiness against the shipping worker's breaker -------
    if (opts.faults.carrier) {
      const t0 = Date.now();
      const n = Math.max(10, Math.round(opts.orders / 8));
      const behave = async (b: object, label: string) => {
        const r = await fetch(`${carrierUrl}/admin/behaviour`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(b),
        }).catch((e: unknown) => ({ status: String(e) }));
        faults.push(`carrier ${label} (${r.status})`);
        say(`fault: carrier ${label}`);
      };
      // the breaker's state, sampled each second from the shipping worker's /metrics
      const shippingMetrics = `http://127.0.0.1:${Number(over.METRICS_PORT_BASE) + 3}/metrics`;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const text = await fetch(shippingMetrics, { signal: AbortSignal.timeout(2000) })
            .then((r) => r.text())
            .catch(() => '');
          const m = /^circuit_breaker_state\{[^}]*\} (\d+)/m.exec(text);
          if (m) {
            breaker.samples += 1;
            if (m[1] === '1') breaker.openSamples += 1;
            if (m[1] === '2') breaker.halfOpenSamples += 1;
          }
          await sleep(1000);
        }
      })();
      await behave({ failureRate: 1, latencyMs: 0 }, 'outage: 100% failures');
      say(`carrier: ${n} orders while the carrier is down, until the breaker opens (at most 60 s)`);
      const outage = Date.now();
      const orders = mapLimit(
        Array.from({ length: n }, (_, i) => i),
        4,
        async (i) => {
          await sleep(i * 250);
          await submit(rich[i % rich.length]!, {
            items: [{ sku: SKUS.a.sku, quantity: 1 }],
            shippingAddress: { ...ADDRESS, country: 'US' },
          });
        },
      );
      while (Date.now() - outage < 60_000 && (breaker.openSamples < 3 || Date.now() - outage < 15_000))
        await sleep(500);
      faults.push(
        `carrier outage lasted ${Date.now() - outage} ms; breaker ${breaker.openSamples > 0 ? 'seen open' : 'never seen open'}`,
      );
      await behave({ failureRate: 0, latencyMs: 2500 }, 'slow: 2.5 s per call (client timeout 2 s)');
      await sleep(10_000);
      await behave({ failureRate: 0.3, latencyMs: 300 }, 'flaky: 30% failures');
      await sleep(10_000);
      await behave({ failureRate: 0, latencyMs: 0 }, 'healthy again');
      await orders;
      sampling = false;
      await sampler;
      say(`carrier: breaker sampled ${JSON.stringify(breaker)}`);
      await check('carrier', t0, false);
    }

    // ---- scenario 5: N concurrent single-unit orders for the last units of one SKU --------------------
    let contention: ChaosSummary['contention'];
    {
      const t0 = Date.now();
      must(
        await api.request('POST', `/inventory/${SKUS.hot.sku}/restock`, {
          token: admin,
          body: { quantity: opts.contentionStock },
          idempotencyKey: 'chaos-restock-hot',
        }),
        'restock hot',
      );
      say(
        `contention: ${opts.contentionOrders} concurrent single-unit orders for the last ${opts.contentionStock} units of ${SKUS.hot.sku} (client concurrency ${opts.contentionConcurrency})`,
      );
      const before = new Set(submitted);
      let accepted = 0;
      await mapLimit(
        Array.from({ length: opts.contentionOrders }, (_, i) => i),
        opts.contentionConcurrency,
        async (i) => {
          const r = await submit(rich[i % rich.length]!, {
            items: [{ sku: SKUS.hot.sku, quantity: 1 }],
            shippingAddress: { ...ADDRESS, country: 'US' },
          });
          if (r.status === 202) accepted += 1;
        },
      );
      const secondsToSubmitAll = Math.round((Date.now() - t0) / 100) / 10;
      say(`contention: ${accepted} accepted in ${secondsToSubmitAll}s`);
      if (opts.mode === 'full' && opts.faults.workerKills > 0) {
        const pid = stack.supervisor.pid('inventory');
        if (pid) {
          process.kill(pid, 'SIGKILL');
          killsInjected += 1;
          faults.push(`SIGKILL inventory worker during contention (pid ${pid})`);
          say(`fault: SIGKILL inventory worker (pid ${pid}) during contention`);
        }
      }
      await check('contention', t0, false);
      const hot = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM orders.events c
           JOIN orders.events p ON p.stream_id = c.stream_id AND p.event_type = 'OrderPlaced'
          WHERE c.event_type = 'OrderCompleted' AND p.data->'lines' @> $1::jsonb
            AND NOT (c.stream_id = ANY($2::text[]))`,
        [JSON.stringify([{ sku: SKUS.hot.sku }]), [...before].map((id) => `order-${id}`)],
      );
      contention = {
        orders: opts.contentionOrders,
        stock: opts.contentionStock,
        accepted,
        completed: hot.rows[0]!.n,
        secondsToSubmitAll,
      };
      say(`contention: ${contention.completed} completed of ${opts.contentionStock} units`);
    }

    // ---- scenario 6: concurrent requests with one Idempotency-Key; same key, different body -------------
    let idempotency: ChaosSummary['idempotency'];
    {
      const key = `chaos-idem-${randomUUID()}`;
      const body = {
        items: [{ sku: SKUS.a.sku, quantity: 1 }],
        shippingAddress: { ...ADDRESS, country: 'US' },
      };
      say(`idempotency: ${opts.idempotencyConcurrency} concurrent POST /orders with one Idempotency-Key`);
      const results = await Promise.all(
        Array.from({ length: opts.idempotencyConcurrency }, () =>
          api.request('POST', '/orders', { token: idem.token, body, idempotencyKey: key }),
        ),
      );
      const statuses: Record<string, number> = {};
      const ids = new Set<string>();
      for (const r of results) {
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 202) ids.add((r.json as { orderId: string }).orderId);
        if (r.status !== 202 && r.status !== 409)
          details.push(`idempotency: unexpected ${r.status} ${r.text.slice(0, 200)}`);
      }
      // a later retry gets the first response back
      const again = await submit(idem, body, key);
      if (again.orderId) ids.add(again.orderId);
      const k = `${idem.id}:${key}`;
      keys.set(k, new Set([...(keys.get(k) ?? []), ...ids]));
      const mismatch = await api.request('POST', '/orders', {
        token: idem.token,
        body: { ...body, items: [{ sku: SKUS.a.sku, quantity: 2 }] },
        idempotencyKey: key,
      });
      if (mismatch.status !== 422)
        details.push(`idempotency: same key, other body answered ${mismatch.status}`);
      await sleep(1000);
      const workflows = (await temporal.workflow.count(`CustomerId="${idem.id}"`)).count;
      const streams = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM orders.events WHERE event_type = 'OrderPlaced' AND data->>'customerId' = $1`,
        [idem.id],
      );
      idempotency = {
        concurrent: opts.idempotencyConcurrency,
        statuses,
        distinctOrders: ids.size,
        mismatchStatus: mismatch.status,
        workflows,
        orderStreams: streams.rows[0]!.n,
      };
      say(`idempotency: ${JSON.stringify(idempotency)}`);
    }

    // ---- scenario 7: hostile-input battery ---------------------------------------------------------------
    let hostileRequests = 0;
    let hostile5xx = 0;
    let hostileNon4xx = 0;
    let hostileWrites = 0;
    {
      await waitForNoRunning(temporal, opts.settleTimeoutMs);
      await waitForOutboxDrained(pool, 30_000);
      const victimOrder = [...submitted][0]!;
      const victimId =
        (
          await pool.query<{ c: string }>(
            `SELECT data->>'customerId' AS c FROM orders.events WHERE stream_id = $1 AND version = 1`,
            [`order-${victimOrder}`],
          )
        ).rows[0]?.c ?? rich[0]!.id;
      const attacker = await customer('chaos-attacker');
      let cases = await hostileCases({
        jwtSecret: secret,
        admin,
        attacker,
        victim: { id: victimId, orderId: victimOrder },
        sku: SKUS.a.sku,
      });
      if (opts.hostile === 'small') cases = smallBattery(cases);
      say(`hostile: ${cases.length} requests against every endpoint`);
      const before = await writeFootprint(pool, temporal);
      const answers = await mapLimit(cases, 8, async (c) => ({
        c,
        r: await api.request(c.method, c.path, c.opts),
      }));
      for (const { c, r } of answers) {
        hostileRequests += 1;
        if (r.status === NO_ANSWER || r.status >= 500) {
          hostile5xx += 1;
          details.push(`hostile ${c.name}: ${r.status} ${r.text.slice(0, 200)}`);
        } else if (r.status < 400) {
          hostileNon4xx += 1;
          details.push(`hostile ${c.name}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }
      await sleep(1000);
      const after = await writeFootprint(pool, temporal);
      for (const k of Object.keys(after)) {
        const d = Math.abs((after[k] ?? 0) - (before[k] ?? 0));
        if (d) details.push(`hostile: ${k} changed by ${d}`);
        hostileWrites += d;
      }
      say(
        `hostile: ${hostileRequests} requests, ${hostile5xx} 5xx, ${hostileNon4xx} not 4xx, ${hostileWrites} rows/workflows written`,
      );
    }

    // ---- final: everything settled, read models rebuilt and compared, services agree with the logs ------
    const t0 = Date.now();
    const serviceStock = new Map<string, { available: number; reserved: number }>();
    for (const s of Object.values(SKUS)) {
      const r = await api.request('GET', `/inventory/${s.sku}`, { token: admin });
      const j = r.json as { available: number; reserved: number };
      if (r.status === 200) serviceStock.set(s.sku, { available: j.available, reserved: j.reserved });
    }
    const serviceBalances = new Map<string, number>();
    for (const c of [...rich, poor, idem]) {
      const r = await api.request('GET', `/accounts/${c.id}`, { token: admin });
      if (r.status === 200) serviceBalances.set(c.id, (r.json as { balance: number }).balance);
    }
    say('final: checking every invariant, with a rebuild of every read model');
    const waitedRunning = await waitForNoRunning(temporal, opts.settleTimeoutMs);
    if (waitedRunning > 0) say(`final: ${waitedRunning} sagas still running`);
    await waitForOutboxDrained(pool, 60_000);
    const final = await checkInvariants(pool, {
      workflows: await workflowStatuses(temporal),
      compensationBlocked: await countCompensationBlocked(temporal),
      submitted,
      keys,
      rebuild: true,
      serviceStock,
      serviceBalances,
    });
    {
      const { details: d, ...rest } = final;
      phases.final = { ...rest, seconds: Math.round((Date.now() - t0) / 1000) };
      for (const x of d) details.push(`final: ${x}`);
    }
    const statusCounts = await pool.query<{ t: string; n: number }>(
      `SELECT event_type AS t, count(*)::int AS n FROM orders.events
        WHERE event_type IN ('OrderCompleted','OrderFailed','OrderCancelled') GROUP BY event_type`,
    );
    const countOf = (t: string) => statusCounts.rows.find((r) => r.t === t)?.n ?? 0;

    const restarts = Object.values(restartsByProcess).reduce((a, b) => a + b, 0) + postgresRestarts;
    if (postgresRestarts) restartsByProcess.postgres = postgresRestarts;
    const worst = (f: (r: (typeof phases)[string]) => number) => Math.max(...Object.values(phases).map(f));
    const summary: ChaosSummary = {
      ok: false,
      mode: opts.mode,
      failures: [],
      ordersSubmitted: submitted.size,
      terminal: final.terminal,
      stuck: final.stuck,
      unrecorded: final.unrecorded,
      completed: countOf('OrderCompleted'),
      failed: countOf('OrderFailed'),
      cancelled: countOf('OrderCancelled'),
      doubleCharges: worst((r) => r.doubleCharges),
      netChargeMismatches: worst((r) => r.netChargeMismatches),
      oversold: worst((r) => r.oversold),
      negativeStock: worst((r) => r.negativeStock),
      moneyDrift: worst((r) => r.moneyDrift),
      stockDrift: worst((r) => r.stockDrift),
      reservationMismatches: worst((r) => r.reservationMismatches),
      shipmentMismatches: worst((r) => r.shipmentMismatches),
      streamGaps: worst((r) => r.streamGaps),
      undelivered: final.undelivered,
      projectionMismatches: worst((r) => r.projectionMismatches),
      idempotencyViolations: worst((r) => r.idempotencyViolations),
      compensationBlocked: final.compensationBlocked,
      hostileRequests,
      hostile5xx,
      hostileNon4xx,
      hostileWrites,
      killsInjected,
      restarts,
      restartsByProcess,
      faults,
      submitRetries,
      cancelStatuses,
      breaker,
      submitGaveUp,
      contention,
      idempotency,
      phases,
      details: details.slice(0, 200),
      seconds: Math.round((Date.now() - started) / 1000),
      startedAt: new Date(started).toISOString(),
    };
    summary.failures = failuresOf(summary);
    summary.ok = summary.failures.length === 0;
    return summary;
  } finally {
    say('stopping the stack...');
    await connection?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await stack.stop().catch((err: unknown) => say(`stop: ${String(err)}`));
    childLog?.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Which invariants broke (empty = all hold). */
export function failuresOf(s: ChaosSummary): string[] {
  const f: string[] = [];
  const zero = [
    ...BROKEN_INVARIANT_COUNTERS,
    'hostile5xx',
    'hostileNon4xx',
    'hostileWrites',
    'submitGaveUp',
  ] as const;
  for (const k of zero) if (s[k] !== 0) f.push(`${k} = ${s[k]}`);
  if (s.terminal + s.unrecorded + s.stuck !== s.ordersSubmitted)
    f.push(
      `orders: ${s.terminal} terminal + ${s.unrecorded} unrecorded + ${s.stuck} stuck != ${s.ordersSubmitted} submitted`,
    );
  if (s.contention.completed > s.contention.stock)
    f.push(`contention: ${s.contention.completed} completed for ${s.contention.stock} units`);
  if (s.contention.accepted !== s.contention.orders)
    f.push(`contention: only ${s.contention.accepted}/${s.contention.orders} accepted`);
  const i = s.idempotency;
  if (i.distinctOrders !== 1 || i.workflows !== 1 || i.orderStreams !== 1 || i.mismatchStatus !== 422)
    f.push(`idempotency: ${JSON.stringify(i)}`);
  if (s.ordersSubmitted === 0) f.push('no order was accepted');
  if (s.faults.some((x) => x.includes('breaker never seen open')))
    f.push('the carrier circuit breaker never opened during a 100% carrier outage');
  return f;
}
