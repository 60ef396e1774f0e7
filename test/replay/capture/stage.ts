/**
 * The stage `npm run replay:capture` drives the saga paths on (scripts/replay-capture.ts builds it): a
 * throwaway Temporal dev server, Postgres and carrier, and the workers, which a path can stop and start to
 * hold the saga in a state. Every wait here is for a positive marker (the saga's own `sagaState`, a pending
 * activity, an event in the history), never for a guessed duration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal as proto } from '@temporalio/proto';
import type { WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { CarrierServer } from '../../../src/carrier/app';
import { freePort } from '../../../src/platform/postgres';
import {
  type OrderSagaInput,
  type OrderSagaResult,
  type SagaStateName,
  sagaStateQuery,
  type SagaTuning,
  type ServiceName,
  TASK_QUEUES,
} from '../../../src/workflows/contracts';
import { eventually } from '../../support/eventually';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The worker roles a path can stop and start: `workflows` runs the saga (task queue `orders`, no
 * activities); `orders` runs the order activities on the same queue; the others one service each.
 */
export type WorkerRole = 'workflows' | ServiceName;
export const WORKER_ROLES: WorkerRole[] = ['workflows', 'orders', 'inventory', 'payments', 'shipping'];

export interface Stage {
  client: Client;
  pool: Pool;
  carrier: CarrierServer;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  /** `options`: worker option overrides (e.g. one activity slot) */
  startWorker(role: WorkerRole, identity?: string, options?: Partial<WorkerOptions>): Promise<void>;
  stopWorker(role: WorkerRole): Promise<void>;
  log(msg: string): void;
}

export interface SagaPathSpec {
  expect: OrderSagaResult['status'];
  input: () => OrderSagaInput;
  /** prepares the stage before the saga starts (stop a worker, break a dependency) */
  before?: (stage: Stage) => Promise<void>;
  /** starts the saga; default `client.workflow.start` */
  start?: (stage: Stage, input: OrderSagaInput) => Promise<WorkflowHandle>;
  /** drives the saga while it runs (cancel, crash a worker, break the carrier...) */
  during?: (stage: Stage, handle: WorkflowHandle) => Promise<void>;
  /** checks that the history shows what the path is named for; throws if not */
  check?: (history: History, result: OrderSagaResult) => void;
  /** undoes what `before` broke; runs whatever happened */
  after?: (stage: Stage) => Promise<void>;
}

export const SKU = 'SKU-REPLAY';
export const SKU_SOLD_OUT = 'SKU-REPLAY-SOLD-OUT';
export const PRICE = 12_50;
export const RICH = 'cust-replay-rich';
export const POOR = 'cust-replay-poor';
/** fast retries so the capture takes seconds; tuning is input, so it does not change the commands */
export const FAST: SagaTuning = {
  retryInitialIntervalMs: 100,
  retryMaximumIntervalMs: 1000,
  compensationMaxAttempts: 5,
};
/** a cancellation window no capture outlasts: the saga waits in it until the path acts */
export const LONG_WINDOW_MS = 30 * 60_000;

export function orderInput(over: {
  customerId?: string;
  sku?: string;
  quantity?: number;
  country?: string;
  cancellationWindowMs?: number;
  tuning?: SagaTuning;
}): OrderSagaInput {
  const quantity = over.quantity ?? 2;
  return {
    orderId: randomUUID(),
    customerId: over.customerId ?? RICH,
    lines: [{ sku: over.sku ?? SKU, quantity, unitPrice: PRICE }],
    total: quantity * PRICE,
    currency: 'USD',
    shippingAddress: {
      name: 'Replay Tester',
      line1: '1 History Lane',
      city: 'Springfield',
      postalCode: '12345',
      country: over.country ?? 'US',
    },
    placedAt: new Date().toISOString(),
    cancellationWindowMs: over.cancellationWindowMs ?? 0,
    requestId: 'replay-capture',
    tuning: over.tuning ?? FAST,
  };
}

/** Waits until the saga's own `sagaState` query answers `state`. */
export async function waitForState(handle: WorkflowHandle, state: SagaStateName): Promise<void> {
  await eventually(
    async () => {
      const now = (await handle.query(sagaStateQuery)).state;
      if (now !== state) throw new Error(`${handle.workflowId} is in ${now}, not ${state}`);
    },
    { what: `saga state ${state}` },
  );
}

export async function currentState(handle: WorkflowHandle): Promise<SagaStateName> {
  return (await handle.query(sagaStateQuery)).state;
}

const PENDING = proto.api.enums.v1.PendingActivityState;
type PendingState = 'SCHEDULED' | 'STARTED';

/** Waits until `activityType` is pending in the given state (SCHEDULED: no worker took it yet). */
export async function waitForPendingActivity(
  handle: WorkflowHandle,
  activityType: string,
  state: PendingState,
): Promise<void> {
  const want =
    state === 'SCHEDULED' ? PENDING.PENDING_ACTIVITY_STATE_SCHEDULED : PENDING.PENDING_ACTIVITY_STATE_STARTED;
  await eventually(
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const found = pending.some((p) => p.activityType?.name === activityType && p.state === want);
      if (!found)
        throw new Error(
          `${activityType} not pending in ${state}; pending: ${pending.map((p) => `${p.activityType?.name}/${p.state}`).join(', ') || 'none'}`,
        );
    },
    { what: `${activityType} ${state}` },
  );
}

/** The highest attempt number of a pending activity (0 when none is pending). */
export async function pendingAttempts(handle: WorkflowHandle): Promise<number> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  return Math.max(0, ...pending.map((p) => p.attempt ?? 0));
}

/** Waits until the saga's history holds an event of `eventType` (e.g. EVENT_TYPE_TIMER_FIRED). */
export async function waitForHistoryEvent(
  handle: WorkflowHandle,
  eventType: keyof typeof proto.api.enums.v1.EventType,
): Promise<void> {
  const want = proto.api.enums.v1.EventType[eventType];
  await eventually(
    async () => {
      const history = await handle.fetchHistory();
      if (!(history.events ?? []).some((e) => e.eventType === want))
        throw new Error(`no ${eventType} in the history of ${handle.workflowId} yet`);
    },
    { what: eventType },
  );
}

export async function setCarrier(stage: Stage, failureRate: number): Promise<void> {
  const res = await fetch(`${stage.carrier.url}/admin/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ failureRate }),
  });
  if (!res.ok) throw new Error(`carrier admin: ${res.status}`);
}

/**
 * The payments worker as its own process, frozen (SIGSTOP) once the server lists it as a poller of the
 * payments activity queue: the next charge is handed to its waiting poll and stays there until the process
 * is killed. A crash at the worst moment, made deterministic.
 */
export async function startFrozenPaymentsWorker(stage: Stage): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/workers/payments.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: stage.databaseUrl,
      TEMPORAL_ADDRESS: stage.temporalAddress,
      TEMPORAL_NAMESPACE: stage.namespace,
      WORKER_METRICS_PORT: String(port),
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`the payments worker exited (${child.exitCode})`);
        const res = await stage.client.workflowService.describeTaskQueue({
          namespace: stage.namespace,
          taskQueue: { name: TASK_QUEUES.payments },
          taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        // the SDK's default worker identity is <pid>@<host>
        const polling = (res.pollers ?? []).some((p) => p.identity?.startsWith(`${child.pid}@`));
        if (!polling) throw new Error('the payments worker process does not poll its activity queue yet');
      },
      { what: 'the payments worker process polling', intervalMs: 200 },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  child.kill('SIGSTOP');
  return child;
}
