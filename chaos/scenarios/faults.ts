/**
/**
 * Scenario "faults": the order mix in every coordination mode (happy orders, insufficient funds, an
 * unsupported country, scarce stock, immediate cancellations) spread over the load window while the fault plan
 * runs (inject.ts, bus-faults.ts); until the last fault has recovered, one more order whenever no saga runs,
 * so every fault lands while sagas run; then every invariant.
 */
import { mapLimit, sleep } from '../lib/http';
import { cancelSoon, orderBody, orderMix } from '../lib/order-mix';
import { countRunning } from '../lib/settle';
import type { Scenario } from './context';
import { injectFaults } from './inject';

export const faultsScenario: Scenario = {
  name: 'faults',
  enabled: (opts) => !opts.cluster, // the dev server's faults; the cluster profile has scenario "cluster"
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
      const r = await ctx.orders.submit(p.c, orderBody(p));
      done += 1;
      if (done % Math.max(1, Math.floor(plan.length / 10)) === 0)
        ctx.say(`faults: ${done}/${plan.length} orders submitted`);
      if (p.cancel && r.orderId) cancels.push(cancelSoon(ctx, p.c, r.orderId));
    });
    loadOver = true;
    // until the injector is done, one more order of the mix whenever no saga runs: a fault late in the plan
    // (after a slow recovery) still lands while sagas run, with as few extra orders as that takes
    let injecting = true;
    void injector.then(
      () => (injecting = false),
      () => (injecting = false),
    );
    let more = 0;
    for (const p of orderMix(ctx, 1000)) {
      while (injecting && (await countRunning(ctx.temporal).catch(() => 1)) > 0) await sleep(1000); // load shape
      if (!injecting) break;
      const r = await ctx.orders.submit(p.c, orderBody(p));
      more += 1;
      if (p.cancel && r.orderId) cancels.push(cancelSoon(ctx, p.c, r.orderId));
    }
    if (more > 0) ctx.say(`faults: ${more} more orders while the last faults ran`);
    await Promise.all(cancels);
    await injector;
    await ctx.check('faults', t0);
  },
};
