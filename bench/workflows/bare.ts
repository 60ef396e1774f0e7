/**
 * The bare baseline: a workflow that calls N no-op activities, one after the other, on the saga's task
 * queues in the saga's order (orders, shipping, inventory, orders, payments, orders, shipping, inventory,
 * orders = the 9 activities of a completed order), with the saga's forward-step activity options.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { NoopActivities } from '../activities';

/** The task queue of each activity of a completed saga, in order (see src/workflows/order-saga.ts). */
export const SAGA_ACTIVITY_QUEUES = [
  'orders', // placeOrder
  'shipping', // validateDestination
  'inventory', // reserveStock
  'orders', // markOrderInventoryReserved
  'payments', // chargePayment
  'orders', // markOrderPaid
  'shipping', // createShipment
  'inventory', // commitStock
  'orders', // completeOrder
] as const;

export interface BareInput {
  /** number of activities (1..n); cycles through SAGA_ACTIVITY_QUEUES */
  activities: number;
}

const proxies = Object.fromEntries(
  [...new Set(SAGA_ACTIVITY_QUEUES)].map((taskQueue) => [
    taskQueue,
    proxyActivities<NoopActivities>({
      taskQueue,
      startToCloseTimeout: '30s',
      scheduleToCloseTimeout: '10m',
      retry: { initialInterval: 500, backoffCoefficient: 2, maximumInterval: 30_000, maximumAttempts: 15 },
    }),
  ]),
);

export async function bareWorkflow(input: BareInput): Promise<number> {
  for (let i = 0; i < input.activities; i++) {
    const queue = SAGA_ACTIVITY_QUEUES[i % SAGA_ACTIVITY_QUEUES.length]!;
    await proxies[queue]!.noop();
  }
  return input.activities;
}
