/** POST /orders: idempotent by its key, priced from the catalog, started in the mode the body names. */
import type { RequestHandler } from 'express';
import { DEFAULT_COORDINATION } from '../../domain/coordination';
import { priceOrder } from '../../domain/order/shape';
import type { OrderSagaInput } from '../../workflows/contracts';
import { principalOf } from '../auth';
import type { AppContext } from '../context';
import { runIdempotent } from '../idempotent';
import { ApiError, assertBusEnabled } from '../problem';
import { CreateOrderRequest } from '../schemas';
import { idempotencyKeyOf, parseBody } from '../validation';
import { timingsOf } from './choreographed-orders';

export function placeOrderHandler(ctx: AppContext): RequestHandler {
  const { services, sagas, idempotency, clock } = ctx;
  return async (req, res) => {
    const principal = principalOf(req);
    const key = idempotencyKeyOf(req);
    const body = parseBody(CreateOrderRequest, req);
    if (body.coordination === 'choreography') assertBusEnabled(ctx.config, 'A choreographed order');
    const customerId = body.customerId ?? principal.sub;
    if (principal.role !== 'admin' && customerId !== principal.sub) {
      throw new ApiError(403, 'forbidden', 'A customer can only place orders for themselves.');
    }
    await runIdempotent(
      idempotency,
      req,
      res,
      async ({ resourceId: orderId }) => {
        const skus = body.items.map((i) => i.sku);
        const catalog = await services.inventory.getItems(skus);
        const unknown = body.items
          .map((item, i) => ({ item, i }))
          .filter(({ item }) => !catalog.has(item.sku));
        if (unknown.length) {
          throw new ApiError(
            422,
            'unknown-sku',
            `Unknown SKU(s): ${unknown.map((u) => u.item.sku).join(', ')}.`,
            unknown.map((u) => ({ path: `items.${u.i}.sku`, message: 'not in the catalog' })),
          );
        }
        const { customerId: _asked, coordination: asked, ...request } = body;
        const coordination = asked ?? DEFAULT_COORDINATION;
        const order = priceOrder(request, {
          orderId,
          customerId,
          placedAt: clock().toISOString(),
          priceOf: (sku) => catalog.get(sku)!.price,
        });
        const input: OrderSagaInput = {
          ...order,
          cancellationWindowMs: ctx.config.cancellationWindowMs,
          requestId: req.requestId,
          ...(ctx.config.shipmentBudgetMs !== undefined && {
            tuning: { shipmentBudgetMs: ctx.config.shipmentBudgetMs },
          }),
        };
        const accepted = { status: 202, headers: { Location: `/orders/${orderId}` } } as const;
        if (coordination === 'choreography') {
          await services.choreography.start(order, timingsOf(ctx.config), {
            requestId: req.requestId,
            actor: principal.sub,
          });
          req.log.info({ orderId, coordination, customerId, total: input.total }, 'order accepted');
          return { ...accepted, body: { orderId, status: 'PENDING', coordination } };
        }
        const { workflowId } = await sagas.start(input, coordination);
        req.log.info({ orderId, workflowId, customerId, total: input.total, coordination }, 'order accepted');
        return { ...accepted, body: { orderId, workflowId, status: 'PENDING', coordination } };
      },
      { key },
    );
  };
}
