/**
 * Scenario "cluster" (only with `--cluster`): the order mix as a steady load over both API instances while
 * the cluster loses its parts, one at a time, each once the load has reached its share of accepted orders
 * and while sagas run, each waited for until its recovery marker holds:
 * (Mid-run: at least one saga has taken a step, an event in the orders log, and not ended.)
 * 1. SIGKILL of Temporal node 1: the ring is node 2 alone (the dead node's membership expired) and the
 *    frontend address answers;
 * 2. SIGKILL of one worker of each pair (orders-1, inventory-1, payments-1, shipping-1): the supervisor
 *    started each again (new pids);
 * 3. SIGKILL of API instance 2: started again and answering /health;
 * 4. Temporal node 1 started again: its frontend answers and the ring has both nodes.
 * The load goes on until the last fault has recovered. Then every invariant; then, from the event logs, each
 * fault's time to recover (sagas in flight at it, until each progressed again; the longest stretch with no
 * order progressing). The orders that saw an error at the API are in the summary (OrdersClient.apiErrors).
 */
import { SERVICES } from '../../src/platform/stack';
import type { ClusterNode, TemporalCluster } from '../../src/platform/temporal-cluster';
import { mapLimit, sleep } from '../lib/http';
import { until } from '../lib/markers';
import { cancelSoon, orderBody, orderMix } from '../lib/order-mix';
import { progressEvents, recoveryAt, type Recovery } from '../lib/progress';
import { countRunning } from '../lib/settle';
import type { Scenario, ScenarioContext } from './context';

/** recovery bound per fault: a killed API instance restarted under tsx took 143 s at load average 70 */
const BOUND_MS = 300_000;
/** the load stops here even if a fault never recovers (bounded in count) */
const MAX_LOAD_FACTOR = 4;

export interface ClusterFaultResult extends Partial<Recovery> {
  fault: string;
  /** ms since the epoch when it was injected */
  at: number;
  /** orderSagas Running when it was injected (0: it did not land mid-run: no saga had taken a step) */
  sagasRunning: number;
  /** the recovery marker, and ms from the fault until it held (-1: it did not within the bound) */
  marker: string;
  markerMs: number;
}

export interface ClusterResult {
  nodes: number;
  workers: string[];
  apiInstances: number;
  /** orders the load submitted */
  load: number;
  faults: ClusterFaultResult[];
}

interface ClusterFault {
  label: string;
  marker: string;
  /** injects the fault; resolves with a function that resolves true when its recovery marker holds */
  fire(): Promise<() => Promise<boolean>>;
}

/** SIGKILL of a supervised child that the supervisor starts again; its recovery marker is a new pid. */
function crashChild(ctx: ScenarioContext, name: string): () => Promise<boolean> {
  const pid = ctx.stack.supervisor.pid(name);
  if (pid === undefined) throw new Error(`${name} is not running`);
  process.kill(pid, 'SIGKILL');
  return async () =>
    (await until(
      () => {
        const again = ctx.stack.supervisor.pid(name);
        return again !== undefined && again !== pid;
      },
      { timeoutMs: BOUND_MS, everyMs: 100 },
    )) === true;
}

const answersCount = (ctx: ScenarioContext) => async () =>
  (await until(() => ctx.temporal.workflow.count('').then(() => true), { timeoutMs: BOUND_MS })) === true;

function plan(ctx: ScenarioContext, cluster: TemporalCluster): ClusterFault[] {
  const [victim, survivor] = cluster.nodes as [ClusterNode, ClusterNode];
  const workers = SERVICES.map((s) => `${s}-1`);
  return [
    {
      label: `SIGKILL Temporal node ${victim.name}`,
      marker: `the ring is ${survivor.name} alone and the frontend address answers`,
      async fire() {
        await victim.crash();
        return async () => {
          const ring = await cluster.waitForRing([survivor], BOUND_MS).then(
            () => true,
            () => false,
          );
          return ring && (await answersCount(ctx)());
        };
      },
    },
    {
      label: `SIGKILL workers ${workers.join(', ')}`,
      marker: 'each started again by the supervisor (new pids)',
      fire() {
        const back = workers.map((w) => crashChild(ctx, w));
        return Promise.resolve(async () => (await Promise.all(back.map((b) => b()))).every(Boolean));
      },
    },
    {
      label: 'SIGKILL API instance api-2',
      marker: 'started again (new pid) and answering /health',
      fire() {
        const back = crashChild(ctx, 'api-2');
        const health = () => fetch(`${ctx.stack.apiUrls[1]!}/health`).then((r) => r.status === 200);
        return Promise.resolve(
          async () => (await back()) && (await until(health, { timeoutMs: BOUND_MS })) === true,
        );
      },
    },
    {
      label: `restart Temporal node ${victim.name}`,
      marker: 'its frontend answers and the ring has both nodes',
      fire() {
        const started = victim.start().then(
          () => true,
          () => false,
        );
        return Promise.resolve(
          async () =>
            (await started) &&
            (await cluster.waitForRing(undefined, BOUND_MS).then(
              () => true,
              () => false,
            )),
        );
      },
    },
  ];
}

/** Orders placed since `since` that have taken a step (an event in the orders log) and not ended. */
async function sagasInFlight(ctx: ScenarioContext, since: number): Promise<number> {
  const r = await ctx.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT stream_id FROM orders.events
        WHERE stream_id LIKE 'order-%' AND recorded_at >= to_timestamp($1::float8 / 1000)
        GROUP BY stream_id
       HAVING bool_and(event_type NOT IN ('OrderCompleted', 'OrderFailed', 'OrderCancelled'))) x`,
    [since],
  );
  return r.rows[0]!.n;
}

/** Runs the faults in turn alongside the load; `accepted()` counts the load's accepted orders. */
async function injectAll(
  ctx: ScenarioContext,
  faults: ClusterFault[],
  accepted: () => number,
  since: number,
): Promise<ClusterFaultResult[]> {
  const results: ClusterFaultResult[] = [];
  for (const [i, f] of faults.entries()) {
    const share = Math.ceil(((i + 1) * ctx.opts.orders) / (faults.length + 1));
    await until(() => accepted() >= share, { timeoutMs: 30 * 60_000, everyMs: 100 });
    // mid-run: sagas that have taken a step and not ended (a Running saga whose first workflow task no
    // worker took yet is not enough: on a loaded machine the workers can still be starting)
    const stepped = await until(() => sagasInFlight(ctx, since).then((n) => (n > 0 ? n : undefined)), {
      timeoutMs: BOUND_MS,
      everyMs: 250,
    });
    const running = stepped ? await countRunning(ctx.temporal).catch(() => 0) : 0;
    ctx.say(`cluster: ${f.label} (${accepted()} orders accepted, ${running} sagas running)`);
    const at = Date.now();
    const recovered = await Promise.resolve()
      .then(() => f.fire())
      .then(
        (marker) => marker(),
        (err: unknown) => {
          ctx.rec.problems.push(`cluster: ${f.label} failed: ${String(err)}`);
          return false;
        },
      );
    const markerMs = recovered ? Date.now() - at : -1;
    const line = `${f.label} with ${running} sagas running: ${recovered ? `${f.marker} after ${markerMs} ms` : `NOT recovered (${f.marker})`}`;
    ctx.rec.faults.push(line);
    ctx.say(`cluster: ${line}`);
    results.push({ fault: f.label, at, sagasRunning: running, marker: f.marker, markerMs });
  }
  return results;
}

/** The order mix at the configured rate over both API instances until `done()` (bounded in count). */
async function load(ctx: ScenarioContext, done: () => boolean): Promise<number> {
  const t0 = Date.now();
  const plan = orderMix(ctx, ctx.opts.orders * MAX_LOAD_FACTOR);
  const perOrderMs = (ctx.opts.loadSeconds * 1000) / ctx.opts.orders;
  const cancels: Promise<void>[] = [];
  let submitted = 0;
  await mapLimit(plan, 16, async (p, i) => {
    if (i >= ctx.opts.orders && done()) return; // the planned orders are in and every fault has recovered
    const due = t0 + i * perOrderMs; // the load's shape: a steady rate
    if (Date.now() < due) await sleep(due - Date.now());
    if (i >= ctx.opts.orders && done()) return;
    submitted += 1;
    const r = await ctx.orders.submit(p.c, orderBody(p));
    if (submitted % 20 === 0) ctx.say(`cluster: ${submitted} orders submitted`);
    if (p.cancel && r.orderId) cancels.push(cancelSoon(ctx, p.c, r.orderId));
  });
  await Promise.all(cancels);
  return submitted;
}

export const clusterScenario: Scenario = {
  name: 'cluster',
  enabled: (opts) => opts.cluster === true,
  async run(ctx) {
    const cluster = ctx.stack.cluster;
    if (!cluster) throw new Error('the stack runs no Temporal cluster (start it with --cluster)');
    const t0 = Date.now();
    const faults = plan(ctx, cluster);
    ctx.say(
      `cluster: about ${ctx.opts.orders} orders over ${ctx.opts.loadSeconds}s while: ${faults.map((f) => f.label).join('; ')}`,
    );
    const before = ctx.orders.submitted.size;
    let over = false;
    const injected = injectAll(ctx, faults, () => ctx.orders.submitted.size - before, t0).finally(() => {
      over = true;
    });
    const [submitted, results] = await Promise.all([load(ctx, () => over), injected]);
    await ctx.check('cluster', t0);
    const events = await progressEvents(ctx.pool, t0);
    ctx.rec.cluster = {
      nodes: cluster.nodes.length,
      workers: ctx.stack.supervisor.names().filter((n) => SERVICES.some((s) => n.startsWith(`${s}-`))),
      apiInstances: ctx.stack.apiUrls.length,
      load: submitted,
      faults: results.map((r) => ({ ...r, ...recoveryAt(events, r.at) })),
    };
    for (const f of ctx.rec.cluster.faults)
      ctx.say(
        `cluster: ${f.fault}: ${f.progressed}/${f.inFlight} sagas in flight progressed again within ${f.recoverMs} ms; longest stretch with no order progressing ${f.stallMs} ms`,
      );
  },
};
