/**
 * idempotencyViolations: one Idempotency-Key answered with more than one order (what the suite saw); one
 * order named by more than one key (gateway.idempotency_keys); an answered POST /orders key (202) without
 * the coordination its mode starts (oracle/modes.ts: a workflow under `order-<id>` for orchestration, 2pc
 * and 3pc; for choreography no workflow but its saga stream); a workflow without an answered key.
 */
import { tally, type Invariant } from '../oracle/context';
import { modeOf, sagaStreamOf } from '../oracle/modes';

export const idempotencyViolations = {
  name: 'idempotencyViolations',
  check(ctx) {
    const t = tally();
    for (const [key, ids] of ctx.input.keys ?? [])
      if (ids.size > 1) t.add(1, `Idempotency-Key ${key}: ${ids.size} different orders`);
    const orderKeys = ctx.snapshot.gatewayKeys.filter((k) => k.path === '/orders' && k.resource_id !== null);
    const named = new Map<string, number>();
    for (const k of orderKeys) named.set(k.resource_id!, (named.get(k.resource_id!) ?? 0) + 1);
    for (const [id, n] of named) if (n > 1) t.add(1, `order ${id} is named by ${n} Idempotency-Keys`, id);
    const answered = new Set(
      orderKeys
        .filter((k) => k.method === 'POST' && k.state === 'completed' && k.response_status === 202)
        .map((k) => k.resource_id!),
    );
    for (const id of answered) {
      const workflow = ctx.input.workflows.has(`order-${id}`);
      if (modeOf(ctx, id) !== 'choreography') {
        if (!workflow) t.add(1, `Idempotency-Key answered 202 for order ${id} but there is no workflow`, id);
      } else if (workflow || !sagaStreamOf(ctx, id))
        t.add(
          1,
          `Idempotency-Key answered 202 for choreographed order ${id}: ${workflow ? 'a workflow' : 'no saga stream'}`,
          id,
        );
    }
    for (const wf of ctx.input.workflows.keys()) {
      const id = wf.replace(/^order-/, '');
      if (!answered.has(id)) t.add(1, `workflow ${wf} has no answered Idempotency-Key`, id);
    }
    return t;
  },
} as const satisfies Invariant;
