/** The oracle's fold of the shipping log: per shipment stream, whether it was created, dispatched, cancelled. */
import type { LoggedEvent } from './snapshot';
import { idOf, str } from './vocabulary';

export interface ShipmentFacts {
  /** the order id the stream is named after */
  orderId: string;
  created: boolean;
  cancelled: boolean;
  /** ShipmentDispatched's tracking number (undefined when not dispatched) */
  trackingNumber: string | undefined;
  types: string[];
}

export function foldShipments(streams: Map<string, LoggedEvent[]>): Map<string, ShipmentFacts> {
  const out = new Map<string, ShipmentFacts>();
  for (const [streamId, events] of streams) {
    if (!streamId.startsWith('shipment-')) continue;
    const s: ShipmentFacts = {
      orderId: idOf('shipping', streamId),
      created: false,
      cancelled: false,
      trackingNumber: undefined,
      types: events.map((e) => e.type),
    };
    for (const e of events) {
      if (e.type === 'ShipmentCreated') s.created = true;
      if (e.type === 'ShipmentCancelled') s.cancelled = true;
      if (e.type === 'ShipmentDispatched') s.trackingNumber = str(e.data.trackingNumber) ?? '';
    }
    out.set(s.orderId, s);
  }
  return out;
}
