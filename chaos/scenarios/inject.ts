/**
 * Fault injection with positive markers. Each fault fires once the load has reached its share of accepted
 * orders and while at least one saga is Running (so it lands mid-run), and the injector waits for the
 * fault's own recovery marker before the next one:
 * - a worker SIGKILL: the supervisor started that worker again (a new pid);
 * - a Temporal dev-server SIGKILL: a new dev-server process answers a visibility query;
 * - a Postgres immediate restart (SIGQUIT to the postmaster): the restart returned and a query succeeds.
 */
import { until } from '../lib/markers';
import { countRunning } from '../lib/settle';
import { busFaultLabel, fireBusFault, type BusFault } from './bus-faults';
import type { ScenarioContext } from './context';

export type Fault =
  { kind: 'worker'; service: string } | { kind: 'temporal' } | { kind: 'postgres' } | BusFault;

const SERVICES = ['payments', 'inventory', 'shipping', 'orders'];
const BOUND_MS = 90_000;

/** worker kills, each service in turn, with the Temporal and Postgres restarts at about 1/3 and 2/3 */
export function faultPlan(f: ScenarioContext['opts']['faults']): Fault[] {
  const plan: Fault[] = Array.from({ length: f.workerKills }, (_, i) => ({
    kind: 'worker' as const,
    service: SERVICES[i % SERVICES.length]!,
  }));
  if (f.temporalRestart) plan.splice(Math.ceil(plan.length / 3), 0, { kind: 'temporal' });
  if (f.postgresRestart) plan.splice(Math.ceil((2 * plan.length) / 3) + 1, 0, { kind: 'postgres' });
  // the bus's faults in turn (broker, consumers, relay), spread evenly between the others
  const bus: BusFault[] = [];
  const { brokerRestarts, consumerKills, relayKills } = f.bus;
  for (let i = 0; i < Math.max(brokerRestarts, consumerKills, relayKills); i++) {
    if (i < brokerRestarts) bus.push({ kind: 'broker' });
    if (i < consumerKills) bus.push({ kind: 'consumers' });
    if (i < relayKills) bus.push({ kind: 'relay', service: 'payments' });
  }
  const others = plan.length;
  bus.forEach((b, j) => plan.splice(Math.round(((j + 1) * others) / (bus.length + 1)) + j + 1, 0, b));
  return plan;
}

const label = (f: Fault) =>
  f.kind === 'broker' || f.kind === 'consumers' || f.kind === 'relay'
    ? busFaultLabel(f)
    : f.kind === 'worker'
      ? `SIGKILL ${f.service} worker`
      : f.kind === 'temporal'
        ? 'SIGKILL Temporal dev server'
        : 'Postgres immediate restart';

/** Resolves with the pid of the next start of `name` after now (the supervisor's positive marker). */
function nextStart(
  ctx: ScenarioContext,
  name: string,
  notPid: number | undefined,
): Promise<number | undefined> {
  return until(
    () => {
      const pid = ctx.stack.supervisor.pid(name);
      return pid !== undefined && pid !== notPid ? pid : undefined;
    },
    { timeoutMs: BOUND_MS, everyMs: 100 },
  );
}

async function fire(ctx: ScenarioContext, f: Fault): Promise<string> {
  const t = Date.now();
  const since = () => `${Date.now() - t} ms`;
  if (f.kind === 'broker' || f.kind === 'consumers' || f.kind === 'relay') return fireBusFault(ctx, f);
  if (f.kind === 'postgres') {
    ctx.rec.injected.postgresRestarts += 1;
    await ctx.stack.postgres!.restart!('immediate');
    const ok = await until(() => ctx.pool.query('SELECT 1').then(() => true), { timeoutMs: BOUND_MS });
    if (!ok) return 'NOT answering queries again';
    ctx.rec.recovered.postgres += 1;
    return `answering queries again after ${since()}`;
  }
  const name = f.kind === 'worker' ? f.service : 'temporal';
  const pid = await until(() => ctx.stack.supervisor.pid(name), { timeoutMs: BOUND_MS });
  if (pid === undefined) return `not running (no pid within ${BOUND_MS / 1000} s): not injected`;
  process.kill(pid, 'SIGKILL');
  if (f.kind === 'worker') ctx.rec.injected.workerKills += 1;
  else ctx.rec.injected.temporalRestarts += 1;
  const again = await nextStart(ctx, name, pid);
  if (again === undefined) return `pid ${pid} NOT restarted`;
  if (f.kind === 'worker') {
    ctx.rec.recovered.workers += 1;
    return `pid ${pid}, restarted as ${again} after ${since()}`;
  }
  const answers = await until(() => ctx.temporal.workflow.count('').then(() => true), {
    timeoutMs: BOUND_MS,
  });
  if (!answers) return `pid ${pid}, restarted as ${again} but NOT answering`;
  ctx.rec.recovered.temporal += 1;
  return `pid ${pid}, restarted as ${again}, answering again after ${since()}`;
}

/** Injects one fault while a saga is running and waits for its recovery marker; records both. */
export async function injectOne(ctx: ScenarioContext, f: Fault, progress = ''): Promise<void> {
  const running = await until(() => countRunning(ctx.temporal).then((n) => (n > 0 ? n : undefined)), {
    timeoutMs: BOUND_MS,
    everyMs: 100,
  });
  if (running) ctx.rec.landedMidRun += 1;
  ctx.say(`fault: ${label(f)} (${progress}${running ?? 'no'} sagas running)`);
  const outcome = await fire(ctx, f).catch((err: unknown) => `failed: ${String(err)}`);
  const line = `${label(f)} with ${running ?? 'NO'} sagas running: ${outcome}`;
  ctx.rec.faults.push(line);
  ctx.say(`fault: ${line}`);
}

/** Runs the fault plan alongside the load; `accepted()` counts the load's accepted orders. */
export async function injectFaults(
  ctx: ScenarioContext,
  accepted: () => number,
  loadOver: () => boolean,
): Promise<void> {
  const plan = faultPlan(ctx.opts.faults);
  for (const [i, f] of plan.entries()) {
    const share = Math.ceil(((i + 1) * ctx.opts.orders) / (plan.length + 1));
    await until(() => accepted() >= share || loadOver(), { timeoutMs: 30 * 60_000, everyMs: 100 });
    await injectOne(ctx, f, `${accepted()} orders accepted, `);
  }
}
