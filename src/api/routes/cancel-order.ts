/** POST /orders/{id}/cancel: 202 while the order can still be cancelled, 409 after, in every mode. */
import type { RequestHandler } from 'express';
import { assertOwnData, principalOf } from '../auth';
import type { AppContext } from '../context';
import { runIdempotent } from '../idempotent';
import { ApiError } from '../problem';
import { CancelNotYetAcceptedError, CancelRejectedError } from '../sagas';
import { CancelOrderRequest, OrderId } from '../schemas';
import { idempotencyKeyOf, parseBody, parseWith } from '../validation';
import { cancelChoreographed } from './choreographed-orders';

export function cancelOrderHandler(
  ctx: AppContext,
  ownerOf: (orderId: string) => Promise<string>,
): RequestHandler {
  const { services, sagas, idempotency } = ctx;
  const orderIdParam = (raw: unknown) => parseWith(OrderId, raw, 'path');
  return async (req, res) => {
    const principal = principalOf(req);
    const key = idempotencyKeyOf(req);
    const orderId = orderIdParam(req.params.orderId);
    const body = parseBody(CancelOrderRequest, req, {});
    assertOwnData(req, await ownerOf(orderId), 'order');
    await runIdempotent(
      idempotency,
      req,
      res,
      async ({ resourceId }) => {
        if (await services.choreography.getSaga(orderId)) {
          return cancelChoreographed(ctx, orderId, body.reason ?? 'cancelled by the customer', {
            requestId: req.requestId,
            actor: principal.sub,
          });
        }
        try {
          // one update id per Idempotency-Key: a retry attaches to the update the first try sent
          const result = await sagas.cancel(
            orderId,
            { ...(body.reason ? { reason: body.reason } : {}), requestedBy: principal.sub },
            `cancel-${resourceId}`,
          );
          req.log.info({ orderId, status: result.status }, 'cancellation accepted');
          return { status: 202, body: { orderId, status: result.status } };
        } catch (err) {
          if (err instanceof CancelRejectedError) {
            throw new ApiError(409, 'cannot-cancel', `The order can no longer be cancelled: ${err.message}`);
          }
          if (err instanceof CancelNotYetAcceptedError) {
            throw new ApiError(
              503,
              'cancel-not-yet-accepted',
              'The cancellation was sent but the order has not taken it yet; retry with the same ' +
                'Idempotency-Key to learn its outcome.',
              undefined,
              { 'Retry-After': '1' },
            );
          }
          throw err;
        }
      },
      { key },
    );
  };
}
