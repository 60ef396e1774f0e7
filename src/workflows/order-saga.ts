/**
 * The order saga, step by step (the table in src/workflows/README.md): each step names its undo, which is
 * registered before the step runs; when a step is refused, runs out of retries or the customer cancels, the
 * undos run newest-first and the outcome is returned, not thrown. The step helper (saga-steps.ts) adds the
 * summaries, keys and cancellation checks. Patches keep running sagas on the path they started on; how to
 * add, deprecate and remove one: src/workflows/README.md ("Versioning").
 */
import { patched } from '@temporalio/workflow';
import type { OrderSagaInput, OrderSagaResult } from './contracts';
import { SagaSteps } from './saga-steps';

/** v2: refuse an unsupported destination before any stock or money moves (old sagas: at shipment). */
export const PATCH_VALIDATE_DESTINATION = 'validate-destination-before-reserve';
/** v3: place the order even when a cancel was accepted before it (old sagas: unwind without placing). */
export const PATCH_PLACE_ORDER_ALWAYS = 'place-order-even-if-cancelled';

export async function orderSaga(input: OrderSagaInput): Promise<OrderSagaResult> {
  const { orderId, customerId, lines, total, currency, shippingAddress, placedAt } = input;
  const saga = SagaSteps.start(input);
  const { forward, carrier, compensations, bookkeeping } = saga.activities;
  let shipment: { shipmentId: string; trackingNumber: string };
  try {
    await saga.step(
      'placeOrder',
      () => forward.placeOrder({ orderId, customerId, lines, total, currency, shippingAddress, placedAt }),
      {
        undo: ['rejectOrder', () => compensations.rejectOrder({ orderId, ...saga.state.rejection() })],
        // an order cancelled before it was placed still gets its OrderPlaced → OrderCancelled trail
        evenIfCancelled: () => patched(PATCH_PLACE_ORDER_ALWAYS),
      },
    );
    saga.moveTo('ORDER_PLACED');

    if (patched(PATCH_VALIDATE_DESTINATION)) {
      await saga.step('validateDestination', () =>
        forward.validateDestination({ orderId, country: shippingAddress.country }),
      );
    }

    await saga.step('reserveStock', () => forward.reserveStock({ orderId, lines }), {
      undo: ['releaseStock', () => compensations.releaseStock({ orderId, lines })],
    });
    await forward.markOrderInventoryReserved({ orderId });
    saga.moveTo('INVENTORY_RESERVED');

    await saga.step('chargePayment', () => forward.chargePayment({ orderId, customerId, amount: total }), {
      undo: ['refundPayment', () => compensations.refundPayment({ orderId, customerId })],
    });
    await forward.markOrderPaid({ orderId, amount: total });
    saga.moveTo('PAYMENT_COMPLETED');

    await saga.cancellationWindow(input.cancellationWindowMs);
    saga.stopIfCancelled();
    saga.moveTo('AWAITING_SHIPMENT');

    shipment = await saga.step(
      'createShipment',
      () => carrier.createShipment({ orderId, address: shippingAddress, lines }),
      {
        undo: [
          'cancelShipment',
          () =>
            compensations.cancelShipment({
              orderId,
              reason: saga.state.failure?.message ?? 'saga compensation',
            }),
        ],
      },
    );
    saga.moveTo('ORDER_SHIPPED');
  } catch (err) {
    return await saga.compensate(err);
  }

  // Shipped: nothing can be undone any more; the bookkeeping only retries (a failure here fails the workflow).
  await bookkeeping.commitStock({ orderId, lines });
  const { shipmentId, trackingNumber } = shipment;
  await bookkeeping.completeOrder({ orderId, shipmentId, trackingNumber });
  return await saga.completed(trackingNumber);
}
