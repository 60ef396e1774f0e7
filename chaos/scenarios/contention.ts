/**
 * Scenario "contention", once per saga mode (orchestration, then choreography; phases
 * `contention-<mode>`): many concurrent single-unit orders for the last units of one SKU (full mode: with
 * the inventory worker SIGKILLed while they run). Every order is accepted; exactly `stock` complete; every
 * other one fails at reserveStock for insufficient stock.
 */
import { mapLimit } from '../lib/http';
import { SAGA_MODES, type CoordinationMode } from '../lib/modes';
import { ADDRESS, SKUS, type ContentionResult, type Scenario, type ScenarioContext } from './context';
import { injectOne } from './inject';

async function outcomes(
  ctx: ScenarioContext,
  ids: string[],
): Promise<{ completed: number; outOfStock: number; otherOutcomes: Record<string, number> }> {
  // every terminal event of the burst's orders, named: completed, out of stock, or what else it was (so that a
  // broken count explains itself)
  const r = await ctx.pool.query<{ what: string; n: number }>(
    `SELECT CASE
              WHEN event_type = 'OrderCompleted' THEN 'completed'
              WHEN event_type = 'OrderFailed' AND data->>'step' = 'reserveStock'
                   AND data->>'reason' LIKE '%Insufficient stock for%' THEN 'outOfStock'
              ELSE event_type || ' at ' || coalesce(data->>'step', '?') || ': ' ||
                   left(coalesce(data->>'reason', ''), 60)
            END AS what, count(*)::int AS n
       FROM orders.events
      WHERE stream_id = ANY($1::text[]) AND event_type IN ('OrderCompleted', 'OrderFailed', 'OrderCancelled')
      GROUP BY 1 ORDER BY 2 DESC`,
    [ids.map((id) => `order-${id}`)],
  );
  const {
    completed = 0,
    outOfStock = 0,
    ...otherOutcomes
  } = Object.fromEntries(r.rows.map((x) => [x.what, x.n]));
  return { completed, outOfStock, otherOutcomes };
}

export const contentionScenario: Scenario = {
  name: 'contention',
  enabled: () => true,
  async run(ctx) {
    ctx.rec.contention = [];
    for (const mode of SAGA_MODES) ctx.rec.contention.push(await burst(ctx, mode));
  },
};

/** one burst for the last `stock` units (restocked from 0: the previous burst sold every unit) in `mode` */
async function burst(ctx: ScenarioContext, mode: CoordinationMode): Promise<ContentionResult> {
  const t0 = Date.now();
  const { contentionOrders: n, contentionStock: stock, contentionConcurrency } = ctx.opts;
  const restock = await ctx.api.request('POST', `/inventory/${SKUS.hot.sku}/restock`, {
    token: ctx.admin,
    body: { quantity: stock },
    idempotencyKey: `chaos-restock-hot-${mode}`,
  });
  if (restock.status < 200 || restock.status >= 300)
    throw new Error(`restock ${SKUS.hot.sku}: ${restock.status} ${restock.text}`);
  ctx.say(
    `contention (${mode}): ${n} concurrent single-unit orders for the last ${stock} units of ${SKUS.hot.sku}`,
  );
  const ids: string[] = [];
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    contentionConcurrency,
    async (i) => {
      const r = await ctx.orders.submit(ctx.people.rich[i % ctx.people.rich.length]!, {
        items: [{ sku: SKUS.hot.sku, quantity: 1 }],
        shippingAddress: { ...ADDRESS, country: 'US' },
        coordination: mode,
      });
      if (r.orderId) ids.push(r.orderId);
    },
  );
  const secondsToSubmitAll = Math.round((Date.now() - t0) / 100) / 10;
  ctx.say(`contention (${mode}): ${ids.length} accepted in ${secondsToSubmitAll}s`);
  if (ctx.opts.mode === 'full' && ctx.opts.faults.workerKills > 0 && mode === SAGA_MODES[0])
    await injectOne(ctx, { kind: 'worker', service: 'inventory' }, 'during contention, ');
  await ctx.check(`contention-${mode}`, t0);
  const result: ContentionResult = {
    mode,
    orders: n,
    stock,
    accepted: ids.length,
    ...(await outcomes(ctx, ids)),
    secondsToSubmitAll,
  };
  ctx.say(`contention (${mode}): ${JSON.stringify(result)}`);
  return result;
}
