/**
 * Scenario "contention": many concurrent single-unit orders for the last units of one SKU (full mode: with
 * the inventory worker SIGKILLed while they run). Every order is accepted; at least one and at most `stock`
 * complete; every other one fails at reserveStock for insufficient stock.
 */
import { mapLimit } from '../lib/http';
import { ADDRESS, SKUS, type Scenario, type ScenarioContext } from './context';
import { injectOne } from './inject';

async function outcomes(
  ctx: ScenarioContext,
  ids: string[],
): Promise<{ completed: number; outOfStock: number }> {
  const r = await ctx.pool.query<{ completed: number; out: number }>(
    `SELECT count(*) FILTER (WHERE event_type = 'OrderCompleted')::int AS completed,
            count(*) FILTER (WHERE event_type = 'OrderFailed' AND data->>'step' = 'reserveStock'
                               AND data->>'reason' LIKE 'Insufficient stock%')::int AS out
       FROM orders.events WHERE stream_id = ANY($1::text[])`,
    [ids.map((id) => `order-${id}`)],
  );
  return { completed: r.rows[0]!.completed, outOfStock: r.rows[0]!.out };
}

export const contentionScenario: Scenario = {
  name: 'contention',
  enabled: () => true,
  async run(ctx) {
    const t0 = Date.now();
    const { contentionOrders: n, contentionStock: stock, contentionConcurrency } = ctx.opts;
    const restock = await ctx.api.request('POST', `/inventory/${SKUS.hot.sku}/restock`, {
      token: ctx.admin,
      body: { quantity: stock },
      idempotencyKey: 'chaos-restock-hot',
    });
    if (restock.status < 200 || restock.status >= 300)
      throw new Error(`restock ${SKUS.hot.sku}: ${restock.status} ${restock.text}`);
    ctx.say(`contention: ${n} concurrent single-unit orders for the last ${stock} units of ${SKUS.hot.sku}`);
    const ids: string[] = [];
    await mapLimit(
      Array.from({ length: n }, (_, i) => i),
      contentionConcurrency,
      async (i) => {
        const r = await ctx.orders.submit(ctx.people.rich[i % ctx.people.rich.length]!, {
          items: [{ sku: SKUS.hot.sku, quantity: 1 }],
          shippingAddress: { ...ADDRESS, country: 'US' },
        });
        if (r.orderId) ids.push(r.orderId);
      },
    );
    const secondsToSubmitAll = Math.round((Date.now() - t0) / 100) / 10;
    ctx.say(`contention: ${ids.length} accepted in ${secondsToSubmitAll}s`);
    if (ctx.opts.mode === 'full' && ctx.opts.faults.workerKills > 0)
      await injectOne(ctx, { kind: 'worker', service: 'inventory' }, 'during contention, ');
    await ctx.check('contention', t0);
    ctx.rec.contention = {
      orders: n,
      stock,
      accepted: ids.length,
      ...(await outcomes(ctx, ids)),
      secondsToSubmitAll,
    };
    ctx.say(`contention: ${JSON.stringify(ctx.rec.contention)}`);
  },
};
