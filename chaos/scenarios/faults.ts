/**
 * Scenario "faults": the order mix (happy orders, insufficient funds, an unsupported country, scarce stock,
 * immediate cancellations) spread over the load window while the fault plan runs (inject.ts); then every
 * invariant.
 */
import { NO_ANSWER, mapLimit, sleep } from '../lib/http';
import type { Customer } from '../lib/orders-client';
import { ADDRESS, SKUS, type Scenario, type ScenarioContext } from './context';
import { injectFaults } from './inject';

interface Planned {
  c: Customer;
  items: { sku: string; quantity: number }[];
  country: string;
  cancel: boolean;
}

function orderMix(ctx: ScenarioContext): Planned[] {
  const { random } = ctx;
  const { rich, poor } = ctx.people;
  return Array.from({ length: ctx.opts.orders }, (_, i) => {
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
}

/** the customer changes their mind right away; a 5xx, 404 or no answer is retried with the same key */
async function cancelSoon(ctx: ScenarioContext, c: Customer, orderId: string): Promise<void> {
  const key = `chaos-cancel-${orderId}`;
  for (let a = 0; a < 6; a++) {
    const r = await ctx.api.request('POST', `/orders/${orderId}/cancel`, {
      token: c.token,
      body: { reason: 'chaos: changed my mind' },
      idempotencyKey: key,
    });
    ctx.rec.cancelStatuses[r.status] = (ctx.rec.cancelStatuses[r.status] ?? 0) + 1;
    if (r.status !== NO_ANSWER && r.status < 500 && r.status !== 404) return;
    await sleep(2000); // client backoff
  }
}

export const faultsScenario: Scenario = {
  name: 'faults',
  enabled: () => true,
  async run(ctx) {
    const t0 = Date.now();
    const plan = orderMix(ctx);
    ctx.say(
      `faults: ${plan.length} orders over ${ctx.opts.loadSeconds}s with ${JSON.stringify(ctx.opts.faults)}`,
    );
    const before = ctx.orders.submitted.size;
    let loadOver = false;
    const injector = injectFaults(
      ctx,
      () => ctx.orders.submitted.size - before,
      () => loadOver,
    );
    const cancels: Promise<void>[] = [];
    const perOrderMs = (ctx.opts.loadSeconds * 1000) / plan.length;
    const lanes = Math.min(16, Math.max(2, Math.ceil(plan.length / 20)));
    let done = 0;
    await mapLimit(plan, lanes, async (p, i) => {
      const due = t0 + i * perOrderMs; // the load's shape: orders spread over the window
      if (Date.now() < due) await sleep(due - Date.now());
      const r = await ctx.orders.submit(p.c, {
        items: p.items,
        shippingAddress: { ...ADDRESS, country: p.country },
      });
      done += 1;
      if (done % Math.max(1, Math.floor(plan.length / 10)) === 0)
        ctx.say(`faults: ${done}/${plan.length} orders submitted`);
      if (p.cancel && r.orderId) cancels.push(cancelSoon(ctx, p.c, r.orderId));
    });
    await Promise.all(cancels);
    loadOver = true;
    await injector;
    await ctx.check('faults', t0);
  },
};
