/**
 * The shipping service's reactions to choreographed orders: the saga awaiting shipment (the cancellation
 * window closed) → create the shipment (UnsupportedCountry refuses it) and book it with the carrier through
 * the process's circuit breaker; while the carrier fails or the breaker is open the booking is tried again
 * by a scheduled message, until the shipment budget is spent (then refused: CarrierUnavailable). The saga
 * compensating → withdraw and cancel the shipment. Keys `choreo-<orderId>/<step>`; the carrier booking is
 * idempotent by its key, as the activity's.
 */
import type { Pool } from 'pg';
import { BrokenCircuitError, CarrierFailed, CarrierRejected, type CarrierClient } from '../../carrier/client';
import type { SagaOrder, SagaTransitioned } from '../../domain/choreography';
import { isDomainError, ShipmentAlreadyDispatched } from '../../domain/errors';
import { destinationOf } from '../../domain/order/shape';
import { eventsTopic } from '../../bus/topics';
import type { RelayLog } from '../../eventstore';
import { scheduleMessage } from '../../scheduler';
import { choreographyKey, createParticipation, reactionMeta } from '../participation';
import { reactionConsumerName, sagaEvent, type ServiceReactions } from '../reactions/types';
import { createShippingService } from '.';

export const SHIP_RETRY_MESSAGE = 'choreography-ship-retry';

interface ShipAttempt {
  order: SagaOrder;
  /** ms since the epoch: when the saga started awaiting the shipment */
  startedAt: number;
  budgetMs: number;
  attempt: number;
  cause: string;
}

/** Pause before booking attempt n+1 (ms): 500·2^(n-1), at most 5 s. */
const retryPauseMs = (attempt: number) => Math.min(5000, 500 * 2 ** (attempt - 1));

export function createShippingReactions(deps: {
  pool: Pool;
  log: RelayLog;
  carrier: CarrierClient;
  supportedCountries: readonly string[];
}): ServiceReactions {
  const { pool, log, carrier } = deps;
  const shipping = createShippingService({ pool, supportedCountries: deps.supportedCountries });
  const part = createParticipation({ pool }, 'shipping');
  const STEP = 'createShipment';

  const cancelShipment = async (orderId: string, reason: string, cause: string) => {
    try {
      await shipping.cancel({ orderId, reason }, reactionMeta(orderId, 'cancel-shipment', cause));
    } catch (err) {
      if (!(err instanceof ShipmentAlreadyDispatched)) throw err;
      log.error({ orderId }, 'choreography: the shipment was dispatched and cannot be cancelled');
    }
  };

  async function attempt(a: ShipAttempt): Promise<void> {
    const { order, cause } = a;
    const orderId = order.orderId;
    const now = await part.state(orderId);
    if (now.withdrawn || now.steps[STEP]) return;
    const meta = reactionMeta(orderId, 'ship', cause);
    let shipment;
    try {
      shipment = await shipping.create({ orderId, address: order.shippingAddress, lines: order.lines }, meta);
    } catch (err) {
      if (isDomainError(err)) {
        await part.refuse(orderId, STEP, cause, { type: err.code, message: err.message });
        return;
      }
      throw err;
    }
    let trackingNumber = shipment.trackingNumber;
    if (!trackingNumber) {
      try {
        const booking = await carrier.book({
          key: choreographyKey(orderId, 'ship'),
          orderId,
          ...destinationOf(order.shippingAddress),
          parcels: 1,
        });
        trackingNumber = booking.trackingNumber;
      } catch (err) {
        if (err instanceof CarrierRejected) {
          await part.refuse(orderId, STEP, cause, { type: 'CarrierRejected', message: err.message });
          return;
        }
        if (!(err instanceof CarrierFailed || err instanceof BrokenCircuitError)) throw err;
        const spent = Date.now() - a.startedAt;
        if (spent >= a.budgetMs) {
          await part.refuse(orderId, STEP, cause, {
            type: 'CarrierUnavailable',
            message: `carrier unavailable: ${err.message} (${a.attempt} attempts in ${spent} ms)`,
          });
          return;
        }
        const pause = Math.min(retryPauseMs(a.attempt), Math.max(0, a.budgetMs - spent));
        await scheduleMessage(pool, 'shipping', {
          id: `ship-retry/${orderId}/${a.attempt}`,
          kind: SHIP_RETRY_MESSAGE,
          payload: { ...a, attempt: a.attempt + 1 },
          dueAt: new Date(Date.now() + pause),
        });
        return;
      }
      await shipping.dispatch({ orderId, trackingNumber }, meta);
    }
    await part.complete(orderId, STEP, cause, { shipmentId: shipment.shipmentId, trackingNumber }, () =>
      cancelShipment(orderId, 'order withdrawn while shipping', cause),
    );
  }

  return {
    service: 'shipping',
    consumer: reactionConsumerName('shipping'),
    topics: [eventsTopic('orders')],
    scheduled: { [SHIP_RETRY_MESSAGE]: (msg) => attempt(msg.payload as ShipAttempt) },
    async apply(_client, event) {
      const e = sagaEvent<SagaTransitioned['data']>(event);
      if (!e || e.type !== 'SagaTransitioned') return;
      const t = e.data;
      const cause = event.envelope.eventId;
      if (t.to === 'AWAITING_SHIPMENT') {
        await attempt({
          order: t.order,
          startedAt: Date.parse(t.at),
          budgetMs: t.timings.shipmentBudgetMs,
          attempt: 1,
          cause,
        });
      } else if (t.to === 'COMPENSATING') {
        await part.withdrawAndUndo(t.orderId, cause, () =>
          cancelShipment(t.orderId, t.failure?.message ?? 'saga compensation', cause),
        );
      }
    },
  };
}
