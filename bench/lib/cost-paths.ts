/**
 * The saga paths the cost section counts, one order each, with the production workers and settings of the
 * bench's stack:
 *   happy               POST /orders through the gateway; COMPLETED
 *   happyClientStart    the same order started by the gateway's start code (SagaGateway.start) from the
 *                       bench process: no HTTP request, no idempotency record, no catalog read; COMPLETED
 *   noStock             POST /orders of a SKU with no stock; FAILED at reserveStock
 *   noFunds             POST /orders by a customer with no money; FAILED at chargePayment
 *   unsupportedCountry  POST /orders to a country the carrier does not serve; FAILED at validateDestination
 *   cancelInWindow      SagaGateway.start with a 60 s cancellation window (the stack's gateway runs with 0),
 *                       then POST /orders/{id}/cancel once the saga is in PAYMENT_COMPLETED; CANCELLED
 *   carrierDownTooLong  SagaGateway.start with a 3 s shipment budget (production: 15 min) while the carrier
 *                       answers every booking with 503; FAILED at createShipment (CarrierUnavailable)
 * Each order gets its own customer and SKU, created (`prepare`) before its counters are read, so every order
 * starts on fresh streams and no order's count depends on how long a stream already is (snapshots).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { SagaGateway } from '../../src/api/sagas';
import type { Stack } from '../../src/platform/stack';
import {
  sagaStateQuery,
  type OrderSagaInput,
  type OrderSagaResult,
  type SagaTuning,
} from '../../src/workflows/contracts';
import { api } from './api';
import { ADDRESS } from './seed';

export interface CostPathDeps {
  stack: Stack;
  client: Client;
  adminToken: string;
}

export interface PreparedOrder {
  customerId: string;
  sku: string;
}

export interface CostPath {
  name: string;
  /** how the order enters: through the gateway's HTTP API, or its start code called from the bench */
  entry: 'POST /orders' | 'SagaGateway.start';
  expect: OrderSagaResult['status'];
  /** the step it fails at (failure paths) */
  failsAt?: string;
  /** stock and money for this order (before the counters are read) */
  prepare(deps: CostPathDeps): Promise<PreparedOrder>;
  /** runs the order to its end; returns its workflow id */
  run(deps: CostPathDeps, order: PreparedOrder): Promise<{ workflowId: string; result: OrderSagaResult }>;
}

const PRICE = 100;

async function ok(p: Promise<{ status: number; json: Record<string, unknown> }>, what: string) {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
  return r;
}

async function prepare(deps: CostPathDeps, opts: { stock: number; money: number }): Promise<PreparedOrder> {
  const id = randomUUID().slice(0, 8);
  const o = { customerId: `bench-cost-${id}`, sku: `BENCH-COST-${id}` };
  const { stack, adminToken: t } = deps;
  await ok(
    api(stack, t, 'PUT', `/inventory/${o.sku}`, { name: `Cost ${id}`, price: PRICE }),
    'PUT /inventory',
  );
  if (opts.stock > 0) {
    const body = { quantity: opts.stock };
    await ok(api(stack, t, 'POST', `/inventory/${o.sku}/restock`, body, `cost-restock-${id}`), 'restock');
  }
  if (opts.money > 0) {
    const body = { amount: opts.money };
    await ok(api(stack, t, 'POST', `/accounts/${o.customerId}/deposits`, body, `cost-dep-${id}`), 'deposit');
  }
  return o;
}

const stocked = (deps: CostPathDeps) => prepare(deps, { stock: 10, money: 100_000 });

async function viaGateway(
  deps: CostPathDeps,
  order: PreparedOrder,
  country = ADDRESS.country,
): Promise<{ workflowId: string; result: OrderSagaResult }> {
  const res = await ok(
    api(
      deps.stack,
      deps.adminToken,
      'POST',
      '/orders',
      {
        customerId: order.customerId,
        items: [{ sku: order.sku, quantity: 1 }],
        shippingAddress: { ...ADDRESS, country },
      },
      `cost-order-${randomUUID()}`,
    ),
    'POST /orders',
  );
  const workflowId = String(res.json.workflowId);
  const result = (await deps.client.workflow.getHandle(workflowId).result()) as OrderSagaResult;
  return { workflowId, result };
}

function clientInput(order: PreparedOrder, over: Partial<OrderSagaInput> = {}): OrderSagaInput {
  return {
    orderId: randomUUID(),
    customerId: order.customerId,
    lines: [{ sku: order.sku, quantity: 1, unitPrice: PRICE }],
    total: PRICE,
    currency: 'USD',
    shippingAddress: ADDRESS,
    placedAt: new Date().toISOString(),
    cancellationWindowMs: 0,
    requestId: `bench-cost-${randomUUID()}`,
    ...over,
  };
}

async function viaClient(
  deps: CostPathDeps,
  input: OrderSagaInput,
  during?: (workflowId: string) => Promise<void>,
): Promise<{ workflowId: string; result: OrderSagaResult }> {
  const { workflowId } = await new SagaGateway(deps.client).start(input);
  await during?.(workflowId);
  const result = (await deps.client.workflow.getHandle(workflowId).result()) as OrderSagaResult;
  return { workflowId, result };
}

/** Waits (polling the saga's own query, which adds nothing to its history) until it reports `state`. */
async function untilState(deps: CostPathDeps, workflowId: string, state: string): Promise<void> {
  const handle = deps.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const view = await handle.query(sagaStateQuery);
    if (view.state === state) return;
    if (Date.now() > deadline) throw new Error(`${workflowId} still in ${view.state}, waiting for ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function setCarrierFailureRate(stack: Stack, failureRate: number): Promise<void> {
  const res = await fetch(`${stack.config.carrier.url}/admin/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ failureRate }),
  });
  if (!res.ok) throw new Error(`carrier /admin/behaviour: ${res.status}`);
}

const CARRIER_DOWN_TUNING: SagaTuning = { shipmentBudgetMs: 3000 };

export const COST_PATHS: CostPath[] = [
  {
    name: 'happy',
    entry: 'POST /orders',
    expect: 'COMPLETED',
    prepare: stocked,
    run: (deps, o) => viaGateway(deps, o),
  },
  {
    name: 'happyClientStart',
    entry: 'SagaGateway.start',
    expect: 'COMPLETED',
    prepare: stocked,
    run: (deps, o) => viaClient(deps, clientInput(o)),
  },
  {
    name: 'noStock',
    entry: 'POST /orders',
    expect: 'FAILED',
    failsAt: 'reserveStock',
    prepare: (deps) => prepare(deps, { stock: 0, money: 100_000 }),
    run: (deps, o) => viaGateway(deps, o),
  },
  {
    name: 'noFunds',
    entry: 'POST /orders',
    expect: 'FAILED',
    failsAt: 'chargePayment',
    prepare: (deps) => prepare(deps, { stock: 10, money: 0 }),
    run: (deps, o) => viaGateway(deps, o),
  },
  {
    name: 'unsupportedCountry',
    entry: 'POST /orders',
    expect: 'FAILED',
    failsAt: 'validateDestination',
    prepare: stocked,
    run: (deps, o) => viaGateway(deps, o, 'BR'),
  },
  {
    name: 'cancelInWindow',
    entry: 'SagaGateway.start',
    expect: 'CANCELLED',
    prepare: stocked,
    run: (deps, o) => {
      const input = clientInput(o, { cancellationWindowMs: 60_000 });
      return viaClient(deps, input, async (workflowId) => {
        await untilState(deps, workflowId, 'PAYMENT_COMPLETED');
        const route = `/orders/${input.orderId}/cancel`;
        const body = { reason: 'bench: cancel in the window' };
        await ok(
          api(deps.stack, deps.adminToken, 'POST', route, body, `cost-cancel-${randomUUID()}`),
          'cancel',
        );
      });
    },
  },
  {
    name: 'carrierDownTooLong',
    entry: 'SagaGateway.start',
    expect: 'FAILED',
    failsAt: 'createShipment',
    prepare: stocked,
    run: async (deps, o) => {
      await setCarrierFailureRate(deps.stack, 1);
      try {
        return await viaClient(deps, clientInput(o, { tuning: CARRIER_DOWN_TUNING }));
      } finally {
        await setCarrierFailureRate(deps.stack, 0);
      }
    },
  },
];
