/**
 * The bus's faults (inject.ts runs them in the fault plan) and their positive recovery markers:
 * - broker: SIGKILL of the supervised `kafka` child; the supervisor starts it again on its same storage
 *   (a new pid), it answers a metadata request, and a relay delivers again (a probe event, below, is marked
 *   delivered: the broker acknowledged it) and a consumer applies again (`orders.timeline` applied it);
 * - consumers: SIGKILL of the worker processes that host the ordered consumers `orders.timeline` and
 *   `orders-choreography` (orders) and `inventory.demand` and `inventory-choreography` (inventory), both at
 *   once; each started again (new pids) and applying again (`orders.timeline` and `inventory.demand` each
 *   applied a probe event);
 * - relay: SIGKILL of a process hosting an outbox relay (payments); started again (a new pid) and
 *   delivering again (a probe event delivered).
 * A probe is an event made through the API as an admin would: a deposit of 1 cent to the account
 * `chaos-bus-probe` (payments) or a restock of one unit of CHAOS-A (inventory); the oracle folds both like
 * any other event.
 */
import { describeCluster } from '../../src/bus/admin';
import { until } from '../lib/markers';
import { SKUS, type ScenarioContext } from './context';

export type BusFault = { kind: 'broker' } | { kind: 'consumers' } | { kind: 'relay'; service: 'payments' };

/** a JVM broker restart, a worker restart and a consumer group's rebalance after a member died (its session
 * timing out) each take a minute or more on the shared machine: the bound only ends a wait that failed */
const BOUND_MS = 240_000;
const PROBE_ACCOUNT = 'chaos-bus-probe';
let probes = 0;

export const busFaultLabel = (f: BusFault): string =>
  f.kind === 'broker'
    ? 'SIGKILL Kafka broker'
    : f.kind === 'consumers'
      ? 'SIGKILL the bus consumers (orders, inventory workers)'
      : `SIGKILL ${f.service} relay (worker)`;

/** Makes one event through the API; resolves with its event id (undefined: the API never took it). */
async function probe(ctx: ScenarioContext, schema: 'payments' | 'inventory'): Promise<string | undefined> {
  const n = ++probes;
  const req =
    schema === 'payments'
      ? {
          path: `/accounts/${PROBE_ACCOUNT}/deposits`,
          body: { amount: 1 },
          stream: `account-${PROBE_ACCOUNT}`,
        }
      : { path: `/inventory/${SKUS.a.sku}/restock`, body: { quantity: 1 }, stream: `item-${SKUS.a.sku}` };
  const taken = await until(
    async () => {
      const r = await ctx.api.request('POST', req.path, {
        token: ctx.admin,
        body: req.body,
        idempotencyKey: `chaos-bus-probe-${n}`,
      });
      return r.status >= 200 && r.status < 300;
    },
    { timeoutMs: BOUND_MS, everyMs: 500 },
  );
  if (!taken) return undefined;
  const r = await ctx.pool.query<{ id: string }>(
    `SELECT payload->>'eventId' AS id FROM ${schema}.outbox WHERE aggregate_id = $1 ORDER BY position DESC LIMIT 1`,
    [req.stream],
  );
  return r.rows[0]?.id;
}

const delivered = (ctx: ScenarioContext, schema: string, eventId: string) =>
  until(
    async () =>
      (
        await ctx.pool.query(
          `SELECT 1 FROM ${schema}.outbox WHERE payload->>'eventId' = $1 AND delivered_at IS NOT NULL`,
          [eventId],
        )
      ).rowCount === 1,
    { timeoutMs: BOUND_MS },
  );

const applied = (ctx: ScenarioContext, schema: string, consumer: string, eventId: string) =>
  until(
    async () =>
      ((
        await ctx.pool.query(`SELECT 1 FROM ${schema}.bus_applied WHERE consumer = $1 AND event_id = $2`, [
          consumer,
          eventId,
        ])
      ).rowCount ?? 0) > 0,
    { timeoutMs: BOUND_MS },
  );

/** SIGKILLs the supervised child `name`; resolves with [old pid, new pid] (new undefined: not restarted). */
async function killChild(
  ctx: ScenarioContext,
  name: string,
): Promise<[number, number | undefined] | undefined> {
  const pid = await until(() => ctx.stack.supervisor.pid(name), { timeoutMs: BOUND_MS });
  if (pid === undefined) return undefined;
  process.kill(pid, 'SIGKILL');
  const again = await until(
    () => {
      const p = ctx.stack.supervisor.pid(name);
      return p !== undefined && p !== pid ? p : undefined;
    },
    { timeoutMs: BOUND_MS, everyMs: 100 },
  );
  return [pid, again];
}

/** Fires one bus fault and waits for its recovery marker; returns the line for the record. */
export async function fireBusFault(ctx: ScenarioContext, f: BusFault): Promise<string> {
  const t = Date.now();
  const since = () => `${Date.now() - t} ms`;
  const rec = ctx.rec.busFaults;
  if (f.kind === 'broker') {
    if (!ctx.stack.kafkaEmbedded) return 'no embedded broker (KAFKA_BROKERS): not injected';
    const pids = await killChild(ctx, 'kafka');
    if (!pids) return 'not running: not injected';
    rec.injected.broker += 1;
    if (pids[1] === undefined) return `pid ${pids[0]} NOT restarted`;
    const answers = await until(
      () => describeCluster(ctx.stack.kafkaBrokers).then((c) => c.brokers.length > 0),
      {
        timeoutMs: BOUND_MS,
      },
    );
    if (!answers) return `pid ${pids[0]}, restarted as ${pids[1]} but NOT answering metadata`;
    const metadataAt = since();
    const id = await probe(ctx, 'payments');
    if (!id || !(await delivered(ctx, 'payments', id)))
      return `restarted as ${pids[1]}, but NO relay delivered again`;
    if (!(await applied(ctx, 'orders', 'orders.timeline', id)))
      return `restarted as ${pids[1]}, a relay delivered, but NO consumer applied again`;
    rec.recovered.broker += 1;
    return `pid ${pids[0]}, restarted as ${pids[1]}; metadata after ${metadataAt}, a relay's delivery and a consumer's apply again after ${since()}`;
  }
  if (f.kind === 'consumers') {
    const killed = await Promise.all(['orders', 'inventory'].map((name) => killChild(ctx, name)));
    if (killed.some((k) => !k)) return 'a consumer worker was not running: not injected';
    rec.injected.consumers += 1;
    const line = killed.map((k) => `${k![0]} → ${k![1] ?? 'NOT restarted'}`).join(', ');
    if (killed.some((k) => k![1] === undefined)) return `pids ${line}`;
    const [payment, restock] = [await probe(ctx, 'payments'), await probe(ctx, 'inventory')];
    const ok =
      payment !== undefined &&
      restock !== undefined &&
      (await applied(ctx, 'orders', 'orders.timeline', payment)) === true &&
      (await applied(ctx, 'inventory', 'inventory.demand', restock)) === true;
    if (!ok) return `pids ${line}, but the consumers did NOT apply again`;
    rec.recovered.consumers += 1;
    return `pids ${line}; orders.timeline and inventory.demand applying again after ${since()}`;
  }
  const pids = await killChild(ctx, f.service);
  if (!pids) return 'not running: not injected';
  rec.injected.relay += 1;
  if (pids[1] === undefined) return `pid ${pids[0]} NOT restarted`;
  const id = await probe(ctx, 'payments');
  if (!id || !(await delivered(ctx, 'payments', id))) return `restarted as ${pids[1]}, but NOT delivering`;
  rec.recovered.relay += 1;
  return `pid ${pids[0]}, restarted as ${pids[1]}, delivering again after ${since()}`;
}
