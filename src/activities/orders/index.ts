/** The orders service's saga steps (task queue `orders`, also run as local activities): one line each. */
import type { OrdersService, PlaceOrderInput } from '../../services/orders';
import { nothing, stepMeta, type Step } from '../step-meta';

type PlaceOrderArgs = PlaceOrderInput & Step;
type Args<M extends keyof OrdersService> = Parameters<OrdersService[M]>[0] & Step;

export const createOrderActivities = ({ orders }: { orders: OrdersService }) => ({
  placeOrder: ({ key, requestId, ...order }: PlaceOrderArgs) =>
    orders.place(order, stepMeta(key, order.orderId, requestId)).then(nothing),
  markOrderInventoryReserved: ({ key, requestId, ...o }: Args<'markInventoryReserved'>) =>
    orders.markInventoryReserved(o, stepMeta(key, o.orderId, requestId)).then(nothing),
  markOrderPaid: ({ key, requestId, ...paid }: Args<'markPaid'>) =>
    orders.markPaid(paid, stepMeta(key, paid.orderId, requestId)).then(nothing),
  /** marks the order shipped, then completed, under the one step key */
  completeOrder: async ({ key, requestId, ...shipped }: Args<'markShipped'>): Promise<void> => {
    await orders.markShipped(shipped, stepMeta(key, shipped.orderId, requestId));
    await orders.complete(shipped, stepMeta(key, shipped.orderId, requestId));
  },
  /** compensation of placeOrder: the order ends FAILED or CANCELLED with its reason */
  rejectOrder: async ({
    key,
    requestId,
    outcome,
    ...r
  }: Args<'fail'> & { outcome: 'FAILED' | 'CANCELLED' }) => {
    const meta = stepMeta(key, r.orderId, requestId);
    await (outcome === 'CANCELLED' ? orders.cancel(r, meta) : orders.fail(r, meta));
  },
});
export type OrderActivities = ReturnType<typeof createOrderActivities>;
