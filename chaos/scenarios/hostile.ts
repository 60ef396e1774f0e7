/**
 * Scenario "hostile": the hostile-input battery (../hostile/) against every endpoint once the system is
 * quiet. Every answer must be 4xx and no table a write would add to may change. (A workflow a hostile
 * request started would also show in the final check as a workflow without an answered key.)
 */
import { hostileCases, smallBattery, writeFootprint } from '../hostile';
import { NO_ANSWER, mapLimit } from '../lib/http';
import { waitForNoRunning, waitForOutboxDrained } from '../lib/settle';
import { SKUS, type Scenario } from './context';

export const hostileScenario: Scenario = {
  name: 'hostile',
  enabled: () => true,
  async run(ctx) {
    await waitForNoRunning(ctx.temporal, ctx.opts.settleTimeoutMs);
    await waitForOutboxDrained(ctx.pool, 60_000);
    const victimOrder = [...ctx.orders.submitted][0]!;
    const victim = await ctx.pool.query<{ c: string }>(
      `SELECT data->>'customerId' AS c FROM orders.events WHERE stream_id = $1 AND version = 1`,
      [`order-${victimOrder}`],
    );
    let cases = await hostileCases({
      jwtSecret: ctx.stack.jwtSecret,
      admin: ctx.admin,
      attacker: await ctx.customer('chaos-attacker'),
      victim: { id: victim.rows[0]?.c ?? ctx.people.rich[0]!.id, orderId: victimOrder },
      sku: SKUS.a.sku,
    });
    if (ctx.opts.hostile === 'small') cases = smallBattery(cases);
    ctx.say(`hostile: ${cases.length} requests against every endpoint`);
    const before = await writeFootprint(ctx.pool, ctx.temporal);
    const answers = await mapLimit(cases, 8, async (c) => ({
      c,
      r: await ctx.api.request(c.method, c.path, c.opts),
    }));
    const h = { requests: answers.length, answered5xx: 0, non4xx: 0, writes: 0 };
    for (const { c, r } of answers) {
      if (r.status === NO_ANSWER || r.status >= 500) h.answered5xx += 1;
      else if (r.status < 400) h.non4xx += 1;
      else continue;
      ctx.rec.problems.push(`hostile ${c.name}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    // every request was answered: whatever it wrote was written before its answer
    const after = await writeFootprint(ctx.pool, ctx.temporal);
    for (const k of Object.keys(after)) {
      const d = Math.abs((after[k] ?? 0) - (before[k] ?? 0));
      if (d) ctx.rec.problems.push(`hostile: ${k} changed by ${d}`);
      h.writes += d;
    }
    ctx.rec.hostile = h;
    ctx.say(`hostile: ${JSON.stringify(h)}`);
  },
};
