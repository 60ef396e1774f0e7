/**
 * shipmentMismatches: the shipping log against the orders log. A COMPLETED order has a shipment created,
 * dispatched with the tracking number its OrderShipped records, and not cancelled; a FAILED or CANCELLED
 * order has no shipment, or one cancelled before dispatch. Every shipment names an order of the orders log.
 */
import { tally, type Invariant } from '../oracle/context';

export const shipmentMismatches = {
  name: 'shipmentMismatches',
  check(ctx) {
    const t = tally();
    for (const o of ctx.orders.values()) {
      if (!o.settled) continue;
      const s = ctx.shipments.get(o.orderId);
      const ok =
        o.status === 'COMPLETED'
          ? s !== undefined &&
            s.created &&
            !s.cancelled &&
            s.trackingNumber !== undefined &&
            s.trackingNumber === o.trackingNumber
          : s === undefined || !s.created || (s.cancelled && s.trackingNumber === undefined);
      if (!ok)
        t.add(
          1,
          `${o.status} order ${o.orderId} (tracking ${o.trackingNumber ?? 'none'}): shipment events ${s?.types.join(',') || 'none'}, tracking ${s?.trackingNumber ?? 'none'}`,
          o.orderId,
        );
    }
    for (const s of ctx.shipments.values()) {
      if (!ctx.orders.get(s.orderId)?.placed)
        t.add(1, `shipment of order ${s.orderId}, which is not in the orders log`, s.orderId);
    }
    return t;
  },
} as const satisfies Invariant;
