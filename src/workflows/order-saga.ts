/**
 * The order saga, step by step (the table in src/workflows/README.md): each step names its undo, which is
 * registered before the step runs; when a step is refused, runs out of retries or the customer cancels, the
 * undos run newest-first and the outcome is returned, not thrown. The step helper (saga-steps.ts) adds the
 * cancellation checks, and step-calls.ts the summaries and keys. Patches (patches.ts) keep running sagas on
 * the path they started on; how to add, deprecate and remove one: src/workflows/README.md ("Versioning").
 */
import type { OrderSagaInput, OrderSagaResult } from './contracts';
import { applies, PATCH_PLACE_ORDER_ALWAYS, PATCH_VALIDATE_DESTINATION } from './patches';
import { SagaSteps, SHIPMENT_KEPT } from './saga-steps';

export async function orderSaga(input: OrderSagaInput): Promise<OrderSagaResult> {
  const { orderId, customerId, lines, total, currency, shippingAddress, placedAt } = input;
  const saga = SagaSteps.start(input);
  const { forward, carrier, compensations, bookkeeping } = saga.activities;
  const ship = () => carrier.createShipment({ orderId, address: shippingAddress, lines });
  let shipment: { shipmentId: string; trackingNumber: string };
  try {
    await saga.step(
      'placeOrder',
      () => forward.placeOrder({ orderId, customerId, lines, total, currency, shippingAddress, placedAt }),
      {
        undo: ['rejectOrder', () => compensations.rejectOrder({ orderId, ...saga.state.rejection() })],
        // an order cancelled before it was placed still gets its OrderPlaced → OrderCancelled trail
        evenIfCancelled: () => applies(PATCH_PLACE_ORDER_ALWAYS),
      },
    );
    saga.moveTo('ORDER_PLACED');

    if (applies(PATCH_VALIDATE_DESTINATION)) {
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

    shipment = await saga.step('createShipment', ship, {
      undo: [
        'cancelShipment',
        () =>
          compensations.cancelShipment({
            orderId,
            reason: saga.state.failure?.message ?? 'saga compensation',
          }),
      ],
    });
    saga.moveTo('ORDER_SHIPPED');
  } catch (err) {
    const ended = await saga.compensate(err);
    if (ended !== SHIPMENT_KEPT) return ended;
    // the parcel left although the step reported a failure: the call is idempotent and returns its booking
    shipment = await ship();
    saga.moveTo('ORDER_SHIPPED');
  }

  // Shipped: nothing can be undone any more; the bookkeeping only retries (and parks if it cannot finish).
  await saga.settle('commitStock', () => bookkeeping.commitStock({ orderId, lines }));
  const { shipmentId, trackingNumber } = shipment;
  await saga.settle('completeOrder', () =>
    bookkeeping.completeOrder({ orderId, shipmentId, trackingNumber }),
  );
  return await saga.completed(trackingNumber);
}
