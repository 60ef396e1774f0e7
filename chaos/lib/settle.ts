/**
 * Waiting for the system to be quiet before the invariants are checked: every orderSaga closed in Temporal
 * (visibility) and every outbox row delivered. Both are positive markers polled with a bound; a bound that
 * runs out is reported by the invariants themselves (stuck, undelivered), never passed silently.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { ORDER_SAGA_WORKFLOW_TYPE } from '../../src/workflows/contracts';
import { SCHEMAS } from '../oracle/snapshot';

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function countUndelivered(pool: Pool): Promise<number> {
  let n = 0;
  for (const s of SCHEMAS) {
    const r = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${s}.outbox WHERE delivered_at IS NULL`,
    );
    n += r.rows[0]!.n;
  }
  return n;
}

/**
 * Waits (bounded) for the relays to deliver every outbox row; returns what is still undelivered (-1: Postgres
 * did not answer by the bound).
 */
export async function waitForOutboxDrained(pool: Pool, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countUndelivered(pool).catch(() => -1); // Postgres restarting: ask again
    if (n === 0 || Date.now() > deadline) return n;
    await pause(250);
  }
}

/** Workflow status per workflow id of every orderSaga execution (latest run). */
export async function workflowStatuses(client: Client): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType="${ORDER_SAGA_WORKFLOW_TYPE}"` })) {
    if (!m.has(wf.workflowId)) m.set(wf.workflowId, wf.status.name);
  }
  return m;
}

export async function countCompensationBlocked(client: Client): Promise<number> {
  try {
    const r = await client.workflow.count(
      `WorkflowType="${ORDER_SAGA_WORKFLOW_TYPE}" AND ExecutionStatus="Running" AND OrderStatus="COMPENSATION_BLOCKED"`,
    );
    return r.count;
  } catch {
    return 0; // the search attribute missing: such sagas still count as stuck (Running)
  }
}

export async function countRunning(client: Client): Promise<number> {
  const r = await client.workflow.count(
    `WorkflowType="${ORDER_SAGA_WORKFLOW_TYPE}" AND ExecutionStatus="Running"`,
  );
  return r.count;
}

/** Waits (bounded) until no orderSaga is Running; returns how many still are. */
export async function waitForNoRunning(
  client: Client,
  timeoutMs: number,
  progress?: (running: number) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    let running: number;
    try {
      running = await countRunning(client);
    } catch {
      running = -1; // Temporal not answering (restarting): try again
    }
    if (running === 0) return 0;
    if (Date.now() > deadline) return running < 0 ? last : running;
    if (running !== last && running >= 0) progress?.(running);
    if (running >= 0) last = running;
    await pause(1000);
  }
}
