/**
 * No-op activities for the bench-only workers (bench/worker.ts):
 * - `noop` — the one activity of the bare workflow (bench/workflows/bare.ts);
 * - stubs of every saga activity, registered under the same names as the real ones, so the real orderSaga
 *   workflow code runs against them ("stubbed saga"). The types make the compiler list every real name.
 */
import type { InventoryActivities } from '../src/activities/inventory';
import type { OrderActivities } from '../src/activities/orders';
import type { PaymentActivities } from '../src/activities/payments';
import type { ShippingActivities } from '../src/activities/shipping';
import type { ServiceName } from '../src/workflows/contracts';

type Stubs<T> = Record<keyof T, (...args: unknown[]) => Promise<unknown>>;

const done = (): Promise<void> => Promise.resolve();

export const noopActivities = {
  noop: (): Promise<void> => Promise.resolve(),
};
export type NoopActivities = typeof noopActivities;

const orders: Stubs<OrderActivities> = {
  placeOrder: done,
  markOrderInventoryReserved: done,
  markOrderPaid: done,
  completeOrder: done,
  rejectOrder: done,
};
const inventory: Stubs<InventoryActivities> = {
  reserveStock: done,
  releaseStock: done,
  commitStock: done,
};
const payments: Stubs<PaymentActivities> = {
  chargePayment: done,
  refundPayment: done,
};
const shipping: Stubs<ShippingActivities> = {
  validateDestination: done,
  createShipment: () => Promise.resolve({ shipmentId: 'bench', trackingNumber: 'BENCH-0' }),
  cancelShipment: done,
};

export const STUB_ACTIVITIES: Record<
  ServiceName,
  Record<string, (...args: unknown[]) => Promise<unknown>>
> = {
  orders,
  inventory,
  payments,
  shipping,
};

/** What a bench worker of one task queue registers: the stubs of that service plus `noop`. */
export function benchActivities(service: ServiceName) {
  return { ...STUB_ACTIVITIES[service], ...noopActivities };
}
