/** The shapes the atomic-commit participants and coordinators share. */
import type { PlaceOrderInput } from '../services/orders';
import type { CommandMeta } from '../services/common';
import type { EventStore } from '../eventstore/types';

/** the order as the participants see it: exactly what placing it records */
export type AtomicOrder = PlaceOrderInput;

/** why a committed `apply` is reversed: the order ends cancelled (by the customer) or failed (shipping) */
export interface Reversal {
  outcome: 'cancelled' | 'failed';
  reason: string;
  /** failed only: the step that failed (e.g. shipment) */
  step?: string;
}

/** one participant's part of each distributed transaction, as work on a store bound to its transaction */
export interface ParticipantWork {
  apply(order: AtomicOrder, meta: CommandMeta): (store: EventStore) => Promise<unknown>;
  reverse(order: AtomicOrder, why: Reversal, meta: CommandMeta): (store: EventStore) => Promise<unknown>;
}
