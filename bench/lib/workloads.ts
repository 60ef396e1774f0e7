/**
 * The units of work the bench measures, as load-generator ops (bench/lib/load.ts), and what they record:
 *   saga     POST /orders through the gateway (slot i on API instance i mod instances), then the Temporal
 *            client awaits the workflow's result;
 *            only COMPLETED counts (slot i orders SKU i for customer i; `sagaOpen` uses the sequence number)
 *   bare     bareWorkflow running the given steps (the saga's shape, or n steps cycled from it) as no-ops in
 *            the bench namespace
 *   stubbed  the real orderSaga code on the bench workers' no-op activities, with the gateway's start options
 * Each records the workflow id and its time from submission to result, for the history breakdown; the saga
 * also records its order ids, for the projection lag.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Stack } from '../../src/platform/stack';
import {
  orderSagaStartOptions,
  TASK_QUEUES,
  type OrderSagaInput,
  type OrderSagaResult,
} from '../../src/workflows/contracts';
import type { BareInput } from '../workflows/bare';
import { api } from './api';
import type { ShapeStep } from './history-costs';
import type { Op } from './load';
import { ADDRESS, CUSTOMERS, customerOf, skuOf } from './seed';

/** `n` steps cycled from the saga's shape (costGrowth: 1, 3, 6, 9 steps) */
export const cycleSteps = (shape: ShapeStep[], n: number): ShapeStep[] =>
  Array.from({ length: n }, (_, i) => shape[i % shape.length]!);

export interface Timed {
  workflowId: string;
  ms: number;
}

export interface Workloads {
  saga: Op;
  sagaOpen: Op;
  bare(steps: ShapeStep[]): Op;
  stubbed: Op;
  recorded: { orderIds: string[]; saga: Timed[]; bare: Timed[]; stubbed: Timed[] };
  /** orders submitted to the gateway so far (every attempt) */
  ordersSubmitted(): number;
  /** forgets what was recorded (a phase that reads the recordings starts with it) */
  reset(): void;
}

export function createWorkloads(deps: {
  stack: Stack;
  adminToken: string;
  client: Client;
  benchClient: Client;
}): Workloads {
  const { stack, adminToken, client, benchClient } = deps;
  const tag = randomUUID().slice(0, 8);
  const recorded: Workloads['recorded'] = { orderIds: [], saga: [], bare: [], stubbed: [] };
  let orderSeq = 0;

  const saga: Op = async (slot) => {
    const i = slot;
    const res = await api(
      stack,
      adminToken,
      'POST',
      '/orders',
      { customerId: customerOf(i), items: [{ sku: skuOf(i), quantity: 1 }], shippingAddress: ADDRESS },
      `bench-${tag}-${orderSeq++}`,
      slot, // slots spread over the API instances (one on the dev server, two on the cluster profile)
    );
    if (res.status !== 202) throw new Error(`POST /orders: ${res.status} ${JSON.stringify(res.json)}`);
    recorded.orderIds.push(String(res.json.orderId));
    const submitted = performance.now();
    const result = (await client.workflow.getHandle(String(res.json.workflowId)).result()) as OrderSagaResult;
    recorded.saga.push({ workflowId: String(res.json.workflowId), ms: performance.now() - submitted });
    if (result.status !== 'COMPLETED')
      throw new Error(`saga ${result.status}: ${JSON.stringify(result.failure)}`);
  };

  const bare = (steps: ShapeStep[]): Op => {
    const input: BareInput = {
      steps: steps.map((s) => ({ local: s.kind === 'local', taskQueue: s.taskQueue })),
    };
    return async () => {
      const handle = await benchClient.workflow.start('bareWorkflow', {
        taskQueue: TASK_QUEUES.orders,
        workflowId: `bare-${randomUUID()}`,
        args: [input],
      });
      const t = performance.now();
      await handle.result();
      recorded.bare.push({ workflowId: handle.workflowId, ms: performance.now() - t });
    };
  };

  const stubbed: Op = async (slot) => {
    const input: OrderSagaInput = {
      orderId: randomUUID(),
      customerId: customerOf(slot),
      lines: [{ sku: skuOf(slot), quantity: 1, unitPrice: 100 }],
      total: 100,
      currency: 'USD',
      shippingAddress: ADDRESS,
      placedAt: new Date().toISOString(),
      cancellationWindowMs: 0,
    };
    const handle = await benchClient.workflow.start('orderSaga', orderSagaStartOptions(input));
    const t = performance.now();
    const result = (await handle.result()) as OrderSagaResult;
    recorded.stubbed.push({ workflowId: handle.workflowId, ms: performance.now() - t });
    if (result.status !== 'COMPLETED') throw new Error(`stubbed saga ${result.status}`);
  };

  return {
    saga,
    sagaOpen: (_slot, seq) => saga(seq % CUSTOMERS, seq),
    bare,
    stubbed,
    recorded,
    ordersSubmitted: () => orderSeq,
    reset() {
      for (const list of Object.values(recorded)) list.length = 0;
    },
  };
}
