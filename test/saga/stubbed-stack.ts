/**
 * A fast saga stack with the services stubbed: a real Temporal dev server and the real `orderSaga` workflow
 * bundle, with recording fake activities (fake-activities.ts) on the four real task queues, all workers in
 * this process. No Postgres and no carrier: what is under test is the saga's control flow (which steps and
 * undos run, in which order, in which state a cancel is accepted), held in exact states by barriers.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type InjectedSinks } from '@temporalio/worker';
import type { orderSaga } from '../../src/workflows';
import {
  cancelOrderUpdate,
  orderSagaStartOptions,
  sagaStateQuery,
  TASK_QUEUES,
  type OrderSagaInput,
  type SagaStateName,
  type SagaTuning,
  type ServiceName,
} from '../../src/workflows/contracts';
import type { SagaMetricsSinks } from '../../src/workflows/metrics-sink';
import { eventually } from '../support/eventually';
import { startTestTemporal } from '../support/stack';
import { quietSdkRuntime, workflowBundle } from './bundle';
import { RecordingActivities } from './fake-activities';

/** Small budgets: a fake fails at once, so only the number of attempts matters, not their length. */
export const STUB_TUNING: SagaTuning = {
  retryInitialIntervalMs: 50,
  retryMaximumIntervalMs: 100,
  forwardMaxAttempts: 2,
  compensationMaxAttempts: 2,
  shipmentBudgetMs: 60_000,
};

/** The saga's forward calls up to a step, with the bookkeeping calls between the steps. */
export const FORWARD = [
  'placeOrder',
  'validateDestination',
  'reserveStock',
  'markOrderInventoryReserved',
  'chargePayment',
  'markOrderPaid',
  'createShipment',
  'commitStock',
  'completeOrder',
] as const;
export type ForwardCall = (typeof FORWARD)[number];
export const forwardUpTo = (last: ForwardCall): string[] => FORWARD.slice(0, FORWARD.indexOf(last) + 1);

export interface SinkCall {
  workflowId: string;
  fn: keyof SagaMetricsSinks['sagaMetrics'];
  args: unknown[];
}

export interface StubbedSagaStack {
  env: TestWorkflowEnvironment;
  fakes: RecordingActivities;
  /** calls of the workflow's `sagaMetrics` sink, in order */
  sinkCalls: SinkCall[];
  start(input: OrderSagaInput): Promise<WorkflowHandle<typeof orderSaga>>;
  stop(): Promise<void>;
}

function recordingSinks(calls: SinkCall[]): InjectedSinks<SagaMetricsSinks> {
  const fns: SinkCall['fn'][] = [
    'started',
    'completed',
    'failed',
    'cancelled',
    'compensationRun',
    'compensationFailed',
    'cancellationWindow',
  ];
  const sagaMetrics = Object.fromEntries(
    fns.map((fn) => [
      fn,
      {
        fn: (info: { workflowId: string }, ...args: unknown[]) =>
          calls.push({ workflowId: info.workflowId, fn, args }),
        callDuringReplay: false,
      },
    ]),
  );
  return { sagaMetrics } as unknown as InjectedSinks<SagaMetricsSinks>;
}

export async function startStubbedSagaStack(): Promise<StubbedSagaStack> {
  quietSdkRuntime();
  const [env, bundle] = await Promise.all([startTestTemporal(), workflowBundle()]);
  const fakes = new RecordingActivities();
  const sinkCalls: SinkCall[] = [];
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  try {
    for (const name of Object.keys(TASK_QUEUES) as ServiceName[]) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue: TASK_QUEUES[name],
        activities: fakes.forService(name),
        shutdownGraceTime: '1s',
        ...(name === 'orders' ? { workflowBundle: bundle, sinks: recordingSinks(sinkCalls) } : {}),
      });
      workers.push(worker);
      running.push(worker.run());
    }
  } catch (err) {
    await env.teardown().catch(() => undefined);
    throw err;
  }
  return {
    env,
    fakes,
    sinkCalls,
    start: (input) => env.client.workflow.start<typeof orderSaga>('orderSaga', orderSagaStartOptions(input)),
    async stop() {
      fakes.releaseAll();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
      await env.teardown().catch(() => undefined);
    },
  };
}

/** An order with fresh ids (nothing is seeded: the activities are fakes). */
export function stubOrder(extra: Partial<OrderSagaInput> = {}): OrderSagaInput {
  const orderId = `ord-${randomUUID().slice(0, 8)}`;
  return {
    orderId,
    customerId: `cust-${orderId}`,
    lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
    total: 2500,
    currency: 'USD',
    shippingAddress: { name: 'Ada', line1: '1 Way', city: 'London', postalCode: 'N1', country: 'GB' },
    placedAt: new Date().toISOString(),
    cancellationWindowMs: 0,
    tuning: STUB_TUNING,
    ...extra,
  };
}

/** The saga's state, read through its query. */
export async function stateOf(handle: WorkflowHandle<typeof orderSaga>): Promise<SagaStateName> {
  return (await handle.query(sagaStateQuery)).state;
}

/** Waits until the saga's query reports `state` (a positive marker; fails with the last state seen). */
export async function reaches(handle: WorkflowHandle<typeof orderSaga>, state: SagaStateName): Promise<void> {
  await eventually(async () => assert.equal(await stateOf(handle), state), { what: `state ${state}` });
}

/** The message the cancelOrder validator refuses with in `state` (the saga's own wording). */
export const notCancellable = (orderId: string, state: SagaStateName): string =>
  `Order ${orderId} can no longer be cancelled (state ${state})`;

/** A cancel is refused by the update's validator with exactly its own message. */
export async function assertCancelRejected(
  handle: WorkflowHandle<typeof orderSaga>,
  orderId: string,
  state: SagaStateName,
): Promise<void> {
  await assert.rejects(
    handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'too late?' }] }),
    (err: unknown) => {
      assert.ok(
        err instanceof WorkflowUpdateFailedError,
        `expected WorkflowUpdateFailedError, got ${String(err)}`,
      );
      assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
      assert.equal(err.cause.message, notCancellable(orderId, state));
      return true;
    },
  );
}

/** Update ids accepted into the workflow's history (a validator's refusal writes none). */
export async function acceptedUpdates(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
}
