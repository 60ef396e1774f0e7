/**
 * Order activities (task queue `orders`): thin shells over the orders service. Every call carries the step's
 * idempotency key (`<workflowId>/<step>`); the order aggregate makes repeats no-ops.
 */
import type { PlacedOrder } from '../../domain/order/shape';
import type { EventMetadata } from '../../eventstore/types';
import { activityMetadata, run } from '../common';

/** What the activities need from the orders service (src/services/orders). */
export interface OrdersPort {
  place(order: PlacedOrder, meta: EventMetadata): Promise<unknown>;
  markInventoryReserved(orderId: string, meta: EventMetadata): Promise<unknown>;
  markPaid(orderId: string, amount: number, meta: EventMetadata): Promise<unknown>;
  markShipped(
    orderId: string,
    shipmentId: string,
    trackingNumber: string,
    meta: EventMetadata,
  ): Promise<unknown>;
  complete(orderId: string, meta: EventMetadata): Promise<unknown>;
  /** no-op when the order does not exist or already failed */
  fail(orderId: string, reason: string, step: string, meta: EventMetadata): Promise<unknown>;
  /** no-op when the order does not exist or already cancelled */
  cancel(orderId: string, reason: string, meta: EventMetadata): Promise<unknown>;
}

export interface PlaceOrderArgs extends PlacedOrder {
  key: string;
  requestId?: string;
}

export function createOrderActivities(deps: { orders: OrdersPort }) {
  const { orders } = deps;
  return {
    async placeOrder(args: PlaceOrderArgs): Promise<void> {
      const { key, requestId, ...order } = args;
      await run(() => orders.place(order, activityMetadata(key, { orderId: args.orderId, requestId })));
    },
    async markOrderInventoryReserved(args: {
      orderId: string;
      key: string;
      requestId?: string;
    }): Promise<void> {
      await run(() => orders.markInventoryReserved(args.orderId, activityMetadata(args.key, args)));
    },
    async markOrderPaid(args: {
      orderId: string;
      amount: number;
      key: string;
      requestId?: string;
    }): Promise<void> {
      await run(() => orders.markPaid(args.orderId, args.amount, activityMetadata(args.key, args)));
    },
    /** marks the order shipped and completed */
    async completeOrder(args: {
      orderId: string;
      shipmentId: string;
      trackingNumber: string;
      key: string;
      requestId?: string;
    }): Promise<void> {
      await run(async () => {
        const meta = activityMetadata(args.key, args);
        await orders.markShipped(args.orderId, args.shipmentId, args.trackingNumber, meta);
        await orders.complete(args.orderId, meta);
      });
    },
    /** compensation of placeOrder: the order ends FAILED or CANCELLED with its reason */
    async rejectOrder(args: {
      orderId: string;
      outcome: 'FAILED' | 'CANCELLED';
      reason: string;
      step: string;
      key: string;
      requestId?: string;
    }): Promise<void> {
      await run(async () => {
        const meta = activityMetadata(args.key, args);
        if (args.outcome === 'CANCELLED') await orders.cancel(args.orderId, args.reason, meta);
        else await orders.fail(args.orderId, args.reason, args.step, meta);
      });
    },
  };
}
export type OrderActivities = ReturnType<typeof createOrderActivities>;
