/** The shipping service's saga steps (task queue `shipping`): validate, ship, cancel, one line each. */
import type { ShippingService } from '../../services/shipping';
import type { Address } from '../../domain/order/shape';
import { nothing, stepMeta, type Step } from '../step-meta';

type Args<M extends keyof ShippingService> = Parameters<ShippingService[M]>[0] & Step;

export const createShippingActivities = ({ shipping }: { shipping: ShippingService }) => ({
  validateDestination: (destination: { orderId: string; country: string }) =>
    shipping.validateDestination(destination),
  /** records the shipment, books it with the carrier and records the dispatch; answers the tracking number */
  createShipment: ({ key, requestId, ...s }: Args<'ship'> & { address: Address }) =>
    shipping.ship(s, stepMeta(key, s.orderId, requestId)),
  cancelShipment: ({ key, requestId, ...c }: Args<'cancel'>) =>
    shipping.cancel(c, stepMeta(key, c.orderId, requestId)).then(nothing),
});
export type ShippingActivities = ReturnType<typeof createShippingActivities>;
