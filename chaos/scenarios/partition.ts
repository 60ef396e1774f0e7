/**
 * Scenario "partition": 3PC under a network partition, the failure that makes it unsafe. While the payments
 * participant is cut off (the workers' THREE_PC_PARTITION_FILE test hook names it), a few 3PC orders run:
 * payments votes yes and records its pre-commit, but its acknowledgement is lost, so the coordinator aborts
 * when its acknowledgement timeout passes; orders and inventory roll back on its decision, while payments,
 * which the decision cannot reach, commits by the 3PC timeout rule (pre-committed and past its deadline). The
 * partition heals once payments has ended its part; then every invariant (phase `partition`). Each of its
 * orders is expected to be a threePcAtomicityViolation (charged, yet failed with nothing reserved); any
 * other order that is one fails the run, and so does this scenario when none of its orders is.
 */
import fs from 'node:fs';
import { until } from '../lib/markers';
import { ADDRESS, SKUS, type Scenario, type ScenarioContext } from './context';

/** the participant the partition cuts off */
const CUT_OFF = 'payments';

export interface PartitionResult {
  participant: string;
  /** 3PC orders submitted while the participant was cut off, accepted (ids) */
  orders: string[];
  /** of those, the ones whose cut-off part ended by the participant's timeout rule (commit) */
  committedByTimeout: number;
  /** of those, the settled ones whose participants disagree (the phase check's oracle) */
  violations: number;
  /** orders of the other scenarios that are violations (must be 0) */
  violationsElsewhere: number;
  seconds: number;
}

/** how the cut-off participant's part of each order ended (coordination.participant_states) */
async function endedParts(ctx: ScenarioContext, ids: string[]) {
  const r = await ctx.pool.query<{ outcome: string | null; resolved_by: string | null }>(
    `SELECT outcome, resolved_by FROM coordination.participant_states
      WHERE participant = $1 AND order_id = ANY($2::text[])`,
    [CUT_OFF, ids],
  );
  return r.rows;
}

export const partitionScenario: Scenario = {
  name: 'partition',
  enabled: (opts) => !opts.cluster, // the hook is set on the dev-server stack's workers
  async run(ctx) {
    const t0 = Date.now();
    const file = ctx.partitionFile;
    const n = ctx.opts.partitionOrders;
    ctx.say(`partition: ${CUT_OFF} cut off after pre-commit; ${n} 3pc orders`);
    fs.writeFileSync(file, CUT_OFF);
    const ids: string[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const r = await ctx.orders.submit(ctx.people.rich[i % ctx.people.rich.length]!, {
          items: [{ sku: SKUS.a.sku, quantity: 1 }],
          shippingAddress: { ...ADDRESS, country: 'US' },
          coordination: '3pc',
        });
        if (r.orderId) ids.push(r.orderId);
      }
      // marker: the cut-off participant ended its part of every order on its own (the timeout rule)
      const ended = await until(
        async () => {
          const rows = await endedParts(ctx, ids);
          return rows.length === ids.length && rows.every((x) => x.outcome !== null) && rows;
        },
        { timeoutMs: 240_000, everyMs: 1000 },
      );
      if (!ended) ctx.rec.problems.push(`partition: ${CUT_OFF} did not end its part of every order in 240 s`);
    } finally {
      fs.rmSync(file, { force: true }); // the partition heals
    }
    const report = await ctx.check('partition', t0);
    const mine = new Set(ids);
    const found = report.threePcAtomicityViolationIds;
    const rows = await endedParts(ctx, ids);
    ctx.rec.partition = {
      participant: CUT_OFF,
      orders: ids,
      committedByTimeout: rows.filter((x) => x.outcome === 'commit' && x.resolved_by === 'timeout').length,
      violations: found.filter((id) => mine.has(id)).length,
      violationsElsewhere: found.filter((id) => !mine.has(id)).length,
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    ctx.say(`partition: ${JSON.stringify({ ...ctx.rec.partition, orders: ids.length })}`);
  },
};
