/**
 * Scenario "idempotency": concurrent POST /orders under one Idempotency-Key give one order (the others 409
 * while it is in flight), a later retry gets the same order back, and the same key with another body is 422.
 * Duplicate workflows or streams would also show in the final check (idempotencyViolations).
 */
import { randomUUID } from 'node:crypto';
import { until } from '../lib/markers';
import { ADDRESS, SKUS, type Scenario } from './context';

export const idempotencyScenario: Scenario = {
  name: 'idempotency',
  enabled: () => true,
  async run(ctx) {
    const { idem } = ctx.people;
    const key = `chaos-idem-${randomUUID()}`;
    const body = {
      items: [{ sku: SKUS.a.sku, quantity: 1 }],
      shippingAddress: { ...ADDRESS, country: 'US' },
    };
    const n = ctx.opts.idempotencyConcurrency;
    ctx.say(`idempotency: ${n} concurrent POST /orders with one Idempotency-Key`);
    const results = await Promise.all(
      Array.from({ length: n }, () =>
        ctx.api.request('POST', '/orders', { token: idem.token, body, idempotencyKey: key }),
      ),
    );
    const statuses: Record<string, number> = {};
    const ids = new Set<string>();
    for (const r of results) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 202) ids.add((r.json as { orderId: string }).orderId);
      if (r.status !== 202 && r.status !== 409)
        ctx.rec.problems.push(`idempotency: unexpected ${r.status} ${r.text.slice(0, 200)}`);
    }
    // a later retry gets the first response back
    const again = await ctx.orders.submit(idem, body, key);
    if (again.orderId) ids.add(again.orderId);
    ctx.orders.noteAnswers(idem, key, ids);
    const mismatch = await ctx.api.request('POST', '/orders', {
      token: idem.token,
      body: { ...body, items: [{ sku: SKUS.a.sku, quantity: 2 }] },
      idempotencyKey: key,
    });
    // visibility lags the start, and the saga places the order a moment later: wait until each is there
    // (positive markers), then count; a duplicate would make a count 2
    const bound = { timeoutMs: ctx.opts.settleTimeoutMs };
    const workflows =
      (await until(
        () => ctx.temporal.workflow.count(`CustomerId="${idem.id}"`).then((r) => r.count >= 1 && r.count),
        bound,
      )) || 0;
    const orderStreams =
      (await until(
        () =>
          ctx.pool
            .query<{ n: number }>(
              `SELECT count(*)::int AS n FROM orders.events WHERE event_type = 'OrderPlaced' AND data->>'customerId' = $1`,
              [idem.id],
            )
            .then((r) => r.rows[0]!.n >= 1 && r.rows[0]!.n),
        bound,
      )) || 0;
    ctx.rec.idempotency = {
      concurrent: n,
      statuses,
      distinctOrders: ids.size,
      mismatchStatus: mismatch.status,
      workflows,
      orderStreams,
    };
    ctx.say(`idempotency: ${JSON.stringify(ctx.rec.idempotency)}`);
  },
};
