/**
 * idempotencyViolations: one Idempotency-Key answered with more than one order (what the suite saw); one
 * order named by more than one key (gateway.idempotency_keys); an answered POST /orders key (202) without
 * its orderSaga in Temporal; an orderSaga without an answered key.
 */
import { tally, type Invariant } from '../oracle/context';

export const idempotencyViolations = {
  name: 'idempotencyViolations',
  check(ctx) {
    const t = tally();
    for (const [key, ids] of ctx.input.keys ?? [])
      if (ids.size > 1) t.add(1, `Idempotency-Key ${key}: ${ids.size} different orders`);
    const orderKeys = ctx.snapshot.gatewayKeys.filter((k) => k.path === '/orders' && k.resource_id !== null);
    const named = new Map<string, number>();
    for (const k of orderKeys) named.set(k.resource_id!, (named.get(k.resource_id!) ?? 0) + 1);
    for (const [id, n] of named) if (n > 1) t.add(1, `order ${id} is named by ${n} Idempotency-Keys`);
    const answered = new Set(
      orderKeys
        .filter((k) => k.method === 'POST' && k.state === 'completed' && k.response_status === 202)
        .map((k) => `order-${k.resource_id}`),
    );
    for (const id of answered)
      if (!ctx.input.workflows.has(id))
        t.add(1, `Idempotency-Key answered 202 for ${id} but there is no such workflow`);
    for (const id of ctx.input.workflows.keys())
      if (!answered.has(id)) t.add(1, `workflow ${id} has no answered Idempotency-Key`);
    return t;
  },
} as const satisfies Invariant;
