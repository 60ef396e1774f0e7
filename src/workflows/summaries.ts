/**
 * The one-line summaries the Temporal Web UI shows for a saga and for each activity it schedules, so an
 * operator reads "Charge $12.00 to cust-1" instead of an activity type and a JSON payload.
 */
import type { SagaActivityName, StepArgs } from './activity-proxies';
import type { OrderSagaInput } from './contracts';

export const usd = (cents: number): string => `$${(cents / 100).toFixed(2)}`;

/** The one-line summary the Web UI shows for a saga. */
export const orderSagaSummary = (input: Pick<OrderSagaInput, 'orderId' | 'customerId' | 'total'>): string =>
  `Order ${input.orderId} · customer ${input.customerId} · ${usd(input.total)}`;

const items = (o: OrderSagaInput) => o.lines.map((l) => `${l.quantity}×${l.sku}`).join(', ');

/** The summary of each activity call, from the saga's input and the call's arguments. */
export const ACTIVITY_SUMMARIES: {
  [K in SagaActivityName]: (o: OrderSagaInput, args: StepArgs<K>) => string;
} = {
  placeOrder: (o) => `Place order ${o.orderId} for ${usd(o.total)}`,
  rejectOrder: (o, a) => `Mark order ${o.orderId} ${a.outcome}: ${a.reason}`,
  validateDestination: (o) => `Check the carrier ships to ${o.shippingAddress.country}`,
  reserveStock: (o) => `Reserve ${items(o)}`,
  releaseStock: (o) => `Release ${items(o)}`,
  markOrderInventoryReserved: (o) => `Order ${o.orderId}: inventory reserved`,
  chargePayment: (o) => `Charge ${usd(o.total)} to ${o.customerId}`,
  refundPayment: (o) => `Refund ${usd(o.total)} to ${o.customerId}`,
  markOrderPaid: (o) => `Order ${o.orderId}: paid ${usd(o.total)}`,
  createShipment: (o) => `Ship ${items(o)} to ${o.shippingAddress.city}, ${o.shippingAddress.country}`,
  cancelShipment: (o) => `Cancel the shipment of ${o.orderId}`,
  commitStock: (o) => `Commit the shipped stock of ${o.orderId}`,
  completeOrder: (o, a) => `Order ${o.orderId} shipped (${a.trackingNumber}) and completed`,
};
