/**
 * Helpers of the atomic-commit specs: start a 2PC/3PC order on the saga test stack and read its traces, hold
 * a coordinator before its decision, run the coordinator's worker as a process, count atomicity violations.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { listPrepared } from '../../src/coordination/participant';
import { readState } from '../../src/coordination/three-phase';
import {
  gidOf,
  PARTICIPANTS,
  type AtomicCommitMode,
  type Participant,
  type TransactionKind,
} from '../../src/domain/coordination';
import type { twoPhaseCommit } from '../../src/workflows';
import {
  ATOMIC_WORKFLOW_TYPES,
  atomicCommitStartOptions,
  type AtomicCommitInput,
  type AtomicCommitTuning,
} from '../../src/workflows/atomic-contracts';
import { orderInput, type SagaStack } from '../saga/harness';
import { eventually } from '../support/eventually';
import { lockWaiters as countLockWaiters } from '../support/locks';

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

/** backends of this database waiting for a lock held by another transaction (a prepared one counts) */
export const lockWaiters = (stack: SagaStack): Promise<number> => countLockWaiters(stack.pool);

/**
 * Holds every write to coordination.decisions (a table lock), so a coordinator stops right before its
 * decision becomes durable: its participants are prepared (and, in 3PC, pre-committed) and it has decided
 * nothing yet. `dropWaiting` ends the backends waiting on the lock, so a write of a coordinator killed
 * meanwhile never lands (its process is gone; without it, the statement it left behind would commit).
 */
export async function holdDecisions(stack: SagaStack) {
  const client = await stack.pool.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE coordination.decisions IN EXCLUSIVE MODE');
  const waiting = `FROM pg_locks WHERE relation = 'coordination.decisions'::regclass AND NOT granted`;
  let released = false;
  return {
    async waiters(): Promise<number> {
      const r = await stack.pool.query<{ n: number }>(`SELECT count(*)::int AS n ${waiting}`);
      return r.rows[0]?.n ?? 0;
    },
    async dropWaiting(): Promise<number> {
      const r = await stack.pool.query(`SELECT pg_terminate_backend(pid) ${waiting}`);
      return r.rowCount ?? 0;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      try {
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    },
  };
}

/** how each participant's part of one transaction ended, as the participant recorded it (3PC) */
export async function participantOutcomes(
  stack: SagaStack,
  orderId: string,
  kind: TransactionKind = 'apply',
) {
  const out: Partial<Record<Participant, { outcome: string | null; by: string | null }>> = {};
  for (const p of PARTICIPANTS) {
    const st = await readState(stack.pool, gidOf(orderId, kind, p));
    if (st) out[p] = { outcome: st.outcome, by: st.resolvedBy };
  }
  return out;
}

/** 3PC atomicity violations of one order: participants whose part ended otherwise than the recorded decision */
export async function atomicityViolations(stack: SagaStack, orderId: string): Promise<Participant[]> {
  const decision = await decisionOf(stack, orderId);
  const outcomes = await participantOutcomes(stack, orderId);
  return PARTICIPANTS.filter((p) => outcomes[p]?.outcome && outcomes[p]?.outcome !== decision);
}

/**
 * The `orders` worker (the coordinator's workflows and the orders participant) as a real child process,
 * `src/workers/orders.ts`, against the stack's Temporal and Postgres; `healthy()` waits for its /health.
 */
export function startOrdersWorkerProcess(stack: SagaStack, env: Record<string, string> = {}) {
  const metricsPort = 20000 + Math.floor(Math.random() * 8000);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/workers/orders.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: {
      ...process.env,
      DATABASE_URL: stack.pg.url,
      TEMPORAL_ADDRESS: stack.env.address,
      TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
      WORKER_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return {
    child,
    healthy: () =>
      eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${metricsPort}/health`);
          assert.ok(res.ok, `health answered ${res.status}`);
        },
        // it bundles the workflows at start: slow on a loaded machine
        { intervalMs: 200, timeoutMs: 240_000, what: 'the orders worker process is healthy' },
      ),
    async kill(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
