/** Helpers of the atomic-commit specs: start a 2PC/3PC order on the saga test stack and read its traces. */
import type { WorkflowHandle } from '@temporalio/client';
import { listPrepared } from '../../src/coordination/participant';
import type { AtomicCommitMode } from '../../src/domain/coordination';
import type { twoPhaseCommit } from '../../src/workflows';
import {
  ATOMIC_WORKFLOW_TYPES,
  atomicCommitStartOptions,
  type AtomicCommitInput,
  type AtomicCommitTuning,
} from '../../src/workflows/atomic-contracts';
import { orderInput, type SagaStack } from '../saga/harness';

export const ATOMIC_TEST_TUNING: AtomicCommitTuning = {
  retryInitialIntervalMs: 100,
  retryMaximumIntervalMs: 500,
  shipmentBudgetMs: 60_000,
};

export function atomicInput(
  mode: AtomicCommitMode,
  o: { sku: string; customerId: string; price: number },
  extra: {
    quantity?: number;
    country?: string;
    tuning?: AtomicCommitTuning;
    cancellationWindowMs?: number;
  } = {},
): AtomicCommitInput {
  const { orderId, customerId, lines, total, currency, shippingAddress, placedAt } = orderInput(o, {
    ...(extra.quantity !== undefined ? { quantity: extra.quantity } : {}),
    ...(extra.country !== undefined ? { country: extra.country } : {}),
  });
  return {
    mode,
    order: { orderId, customerId, lines, total, currency, shippingAddress, placedAt },
    cancellationWindowMs: extra.cancellationWindowMs ?? 0,
    tuning: { ...ATOMIC_TEST_TUNING, ...extra.tuning },
  };
}

export function startAtomic(
  stack: SagaStack,
  input: AtomicCommitInput,
): Promise<WorkflowHandle<typeof twoPhaseCommit>> {
  return stack.env.client.workflow.start<typeof twoPhaseCommit>(
    ATOMIC_WORKFLOW_TYPES[input.mode],
    atomicCommitStartOptions(input),
  );
}

/** prepared transactions of this project still in the database */
export const inDoubt = async (stack: SagaStack) => (await listPrepared(stack.pool)).map((p) => p.gid);

export async function decisionOf(
  stack: SagaStack,
  orderId: string,
  kind = 'apply',
): Promise<string | undefined> {
  const r = await stack.pool.query<{ decision: string }>(
    'SELECT decision FROM coordination.decisions WHERE order_id = $1 AND kind = $2',
    [orderId, kind],
  );
  return r.rows[0]?.decision;
}
