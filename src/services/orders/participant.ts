/**
 * The orders service as a 2PC/3PC participant (src/coordination): `apply` places the order and marks it
 * reserved and paid, `reverse` cancels or fails it; both are the service's normal commands, run on a store
 * bound to the participant's transaction.
 */
import type { Pool } from 'pg';
import type { ParticipantWork } from '../../coordination/types';
import { createOrdersService } from '.';

export const ordersParticipant = (pool: Pool): ParticipantWork => ({
  apply: (order, meta) => async (store) => {
    const orders = createOrdersService({ pool, store });
    await orders.place(order, meta);
    await orders.markInventoryReserved({ orderId: order.orderId }, meta);
    await orders.markPaid({ orderId: order.orderId, amount: order.total }, meta);
  },
  reverse: (order, why, meta) => async (store) => {
    const orders = createOrdersService({ pool, store });
    if (why.outcome === 'cancelled')
      await orders.cancel({ orderId: order.orderId, reason: why.reason }, meta);
    else
      await orders.fail({ orderId: order.orderId, reason: why.reason, step: why.step ?? 'shipment' }, meta);
  },
});
