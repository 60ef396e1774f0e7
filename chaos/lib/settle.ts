/**
 * Waiting for the system to be quiet before the invariants are checked: every order's workflow (orderSaga,
 * twoPhaseCommit, threePhaseCommit) closed in Temporal (visibility), every choreographed order (no workflow)
 * settled in the orders log, and every outbox row delivered. Both are positive markers polled with a bound; a bound that
 * runs out is reported by the invariants themselves (stuck, undelivered), never passed silently.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { ATOMIC_WORKFLOW_TYPES } from '../../src/workflows/atomic-contracts';
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

/** the workflow types that coordinate an order: the saga's and the atomic-commit coordinators' */
export const ORDER_WORKFLOW_TYPES: readonly string[] = [
  ORDER_SAGA_WORKFLOW_TYPE,
  ...Object.values(ATOMIC_WORKFLOW_TYPES),
];
const ofOrderTypes = `(${ORDER_WORKFLOW_TYPES.map((t) => `WorkflowType="${t}"`).join(' OR ')})`;

/** Status and type per workflow id of every order's workflow (latest run). */
export async function workflowStatuses(
  client: Client,
): Promise<{ workflows: Map<string, string>; workflowTypes: Map<string, string> }> {
  const workflows = new Map<string, string>();
  const workflowTypes = new Map<string, string>();
  for await (const wf of client.workflow.list({ query: ofOrderTypes })) {
    if (workflows.has(wf.workflowId)) continue;
    workflows.set(wf.workflowId, wf.status.name);
    workflowTypes.set(wf.workflowId, wf.type);
  }
  return { workflows, workflowTypes };
}

/** Of the given choreographed orders, how many have no terminal event in the orders log yet. */
export async function countUnsettled(pool: Pool, orderIds: string[]): Promise<number> {
  const r = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM unnest($1::text[]) AS o(id)
      WHERE NOT EXISTS (SELECT 1 FROM orders.events e WHERE e.stream_id = 'order-' || o.id
                          AND e.event_type IN ('OrderCompleted', 'OrderFailed', 'OrderCancelled'))`,
    [orderIds],
  );
  return r.rows[0]!.n;
}

/**
 * Waits (bounded) until every given choreographed order settled in the orders log (they have no workflow to
 * wait for: they settle through the bus and the scheduled messages); returns how many did not (-1: no answer).
 */
export async function waitForSettled(
  pool: Pool,
  orderIds: string[],
  timeoutMs: number,
  progress?: (open: number) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const n = await countUnsettled(pool, orderIds).catch(() => -1); // Postgres restarting: ask again
    if (n === 0 || Date.now() > deadline) return n;
    if (n !== last && n >= 0) progress?.(n);
    if (n >= 0) last = n;
    await pause(1000);
  }
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

/** order workflows (every type) Running */
export async function countRunning(client: Client): Promise<number> {
  const r = await client.workflow.count(`${ofOrderTypes} AND ExecutionStatus="Running"`);
  return r.count;
}

/** Waits (bounded) until no order workflow is Running; returns how many still are. */
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
