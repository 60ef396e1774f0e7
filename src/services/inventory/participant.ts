/**
 * The inventory service as a 2PC/3PC participant (src/coordination): `apply` reserves every line (no stock
 * or an unknown SKU is a refusal: a no vote), `reverse` releases them; the service's normal commands, run on
 * a store bound to the participant's transaction.
 */
import type { Pool } from 'pg';
import type { ParticipantWork } from '../../coordination/types';
import { createInventoryService } from '.';

export const inventoryParticipant = (pool: Pool): ParticipantWork => ({
  apply: (order, meta) => (store) =>
    createInventoryService({ pool, store }).reserve(
      { orderId: order.orderId, lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })) },
      meta,
    ),
  reverse: (order, _why, meta) => (store) =>
    createInventoryService({ pool, store }).release(
      { orderId: order.orderId, lines: order.lines.map((l) => ({ sku: l.sku })) },
      meta,
    ),
});
