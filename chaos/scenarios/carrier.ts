/**
 * Scenario "carrier": a full open → half-open → closed cycle of the shipping worker's carrier circuit
 * breaker, each step waited for on its /metrics (lib/breaker.ts). The carrier fails every booking while orders
 * arrive, until the breaker is seen open; (full mode) then answers slower than the client's 2 s timeout until
 * a half-open trial is seen to time out (the breaker opens again), then fails 30 % until a trial succeeds
 * (seen closed); then it is healthy until the breaker is seen closed, having been half-open. Every order must
 * still end terminal.
 */
import { readBreaker, type BreakerReading } from '../lib/breaker';
import { mapLimit } from '../lib/http';
import { until } from '../lib/markers';
import { COORDINATION_MODES } from '../lib/modes';
import { ADDRESS, SKUS, type Scenario, type ScenarioContext } from './context';

const BOUND_MS = 120_000;

async function behave(ctx: ScenarioContext, b: { failureRate: number; latencyMs: number }, what: string) {
  const r = await fetch(`${ctx.urls.carrier}/admin/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(b),
  }).catch((e: unknown) => ({ status: String(e) }));
  ctx.rec.faults.push(`carrier ${what} (${r.status})`);
  ctx.say(`carrier: ${what}`);
}

/** waits for the breaker reading to satisfy `ok`; returns the ms it took (-1: not within the bound) */
async function seen(ctx: ScenarioContext, what: string, ok: (b: BreakerReading) => boolean): Promise<number> {
  const t = Date.now();
  const b = await until(() => readBreaker(ctx.urls.shippingMetrics).then((x) => x && ok(x) && x), {
    timeoutMs: BOUND_MS,
    everyMs: 250,
  });
  const ms = b ? Date.now() - t : -1;
  const line = b
    ? `breaker seen ${what} after ${ms} ms`
    : `breaker NOT seen ${what} within ${BOUND_MS / 1000} s`;
  ctx.rec.faults.push(line);
  ctx.say(`carrier: ${line}`);
  if (!b) ctx.rec.problems.push(line);
  return ms;
}

export const carrierScenario: Scenario = {
  name: 'carrier',
  enabled: (opts) => opts.faults.carrier,
  async run(ctx) {
    const t0 = Date.now();
    const start = await until(() => readBreaker(ctx.urls.shippingMetrics), { timeoutMs: BOUND_MS });
    if (!start) {
      ctx.rec.problems.push('the shipping worker exports no carrier breaker state on /metrics');
      return;
    }
    if (start.state !== 0)
      ctx.rec.problems.push(`the breaker was not closed before the outage: ${JSON.stringify(start)}`);
    await behave(ctx, { failureRate: 1, latencyMs: 0 }, 'outage: every booking fails');
    const n = ctx.opts.carrierOrders;
    ctx.say(`carrier: ${n} orders while the carrier is down`);
    const orders = mapLimit(
      Array.from({ length: n }, (_, i) => i),
      4,
      (i) =>
        ctx.orders.submit(ctx.people.rich[i % ctx.people.rich.length]!, {
          items: [{ sku: SKUS.a.sku, quantity: 1 }],
          shippingAddress: { ...ADDRESS, country: 'US' },
          coordination: COORDINATION_MODES[i % COORDINATION_MODES.length], // every mode's shipment
        }),
    );
    const openAfterMs = await seen(ctx, 'open', (b) => b.open > start.open);
    if (ctx.opts.faults.carrierSlowAndFlaky) {
      const opened = (await readBreaker(ctx.urls.shippingMetrics))?.open ?? start.open;
      await behave(ctx, { failureRate: 0, latencyMs: 2500 }, 'slow: 2.5 s per booking (client timeout 2 s)');
      await seen(
        ctx,
        'open again after a half-open trial timed out',
        (b) => b.open > opened && b.halfOpen > start.halfOpen,
      );
      await behave(ctx, { failureRate: 0.3, latencyMs: 300 }, 'flaky: 30% of bookings fail');
      await seen(ctx, 'closed by a successful trial', (b) => b.closed > start.closed);
    }
    await behave(ctx, { failureRate: 0, latencyMs: 0 }, 'healthy again');
    const closedAfterMs = await seen(
      ctx,
      'closed again, having been half-open',
      (b) => b.state === 0 && b.closed > start.closed && b.halfOpen > start.halfOpen,
    );
    await orders;
    const end = (await readBreaker(ctx.urls.shippingMetrics)) ?? start;
    ctx.rec.breaker = {
      opened: end.open - start.open,
      halfOpened: end.halfOpen - start.halfOpen,
      closed: end.closed - start.closed,
      openAfterMs,
      closedAfterMs,
    };
    ctx.say(`carrier: breaker cycle ${JSON.stringify(ctx.rec.breaker)}`);
    await ctx.check('carrier', t0);
  },
};
