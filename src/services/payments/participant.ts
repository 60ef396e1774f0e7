/**
 * The payments service as a 2PC/3PC participant (src/coordination): `apply` charges the order total (a short
 * balance is a refusal: a no vote), `reverse` refunds it; the service's normal commands, run on a store bound
 * to the participant's transaction.
 */
import type { Pool } from 'pg';
import type { ParticipantWork } from '../../coordination/types';
import { createPaymentsService } from '.';

export const paymentsParticipant = (pool: Pool): ParticipantWork => ({
  apply: (order, meta) => (store) =>
    createPaymentsService({ pool, store }).charge(
      { customerId: order.customerId, orderId: order.orderId, amount: order.total },
      meta,
    ),
  reverse: (order, _why, meta) => (store) =>
    createPaymentsService({ pool, store }).refund(
      { customerId: order.customerId, orderId: order.orderId },
      meta,
    ),
});
