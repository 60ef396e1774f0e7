/** /orders: place (idempotent, priced from the catalog), read, list, audit trail, cancel. */
import { Router } from 'express';
import { stateOfStatus } from '../../domain/order/progress';
import { CURRENCY, lineTotal, type OrderLine, priceOrder } from '../../domain/order/shape';
import type { OrderSagaInput, SagaStateView } from '../../workflows/contracts';
import { assertOwnData, principalOf } from '../auth';
import type { AppContext } from '../context';
import { runIdempotent } from '../idempotent';
import { InvalidCursorError, type OrderRecord } from '../wiring';
import { ApiError, badRequest, notFound } from '../problem';
import { CancelNotYetAcceptedError, CancelRejectedError, type WorkflowSnapshot } from '../sagas';
import {
  CancelOrderRequest,
  CreateOrderRequest,
  ListOrdersQuerySchema,
  OrderId,
  type OrderView,
} from '../schemas';
import { idempotencyKeyOf, parseBody, parseWith } from '../validation';
import { DEFAULT_COORDINATION } from '../../domain/coordination';
import { cancelChoreographed, fromSaga, timingsOf } from './choreographed-orders';
import type { z } from 'zod';

type OrderViewBody = z.input<typeof OrderView>;

function lines(items: OrderLine[]) {
  return items.map((l) => ({ ...l, lineTotal: lineTotal(l) }));
}

function lastTransitionAt(live: SagaStateView | undefined): string | undefined {
  return live?.transitions.at(-1)?.at;
}

function failureReason(live: SagaStateView | undefined): string | undefined {
  return live?.failure ? `${live.failure.type}: ${live.failure.message}` : undefined;
}

/** Read model row, refreshed with the live saga state while it runs. */
function fromRecord(rec: OrderRecord, live: SagaStateView | undefined): OrderViewBody {
  const reason = failureReason(live) ?? rec.failureReason;
  return {
    orderId: rec.orderId,
    customerId: rec.customerId,
    status: live?.status ?? rec.status,
    sagaState: live?.state ?? rec.sagaState ?? stateOfStatus(rec.status),
    items: lines(rec.items),
    total: rec.total,
    currency: CURRENCY,
    ...(rec.shippingAddress ? { shippingAddress: rec.shippingAddress } : {}),
    ...(reason ? { failureReason: reason } : {}),
    coordination: 'orchestration',
    createdAt: rec.createdAt,
    updatedAt: lastTransitionAt(live) ?? rec.updatedAt,
  };
}

/** The projection has not caught up: answer from the workflow (memo + query). */
function fromWorkflow(orderId: string, snap: WorkflowSnapshot, now: Date): OrderViewBody | undefined {
  const order = snap.live?.order ?? snap.memo?.order;
  if (!order) return undefined;
  const reason = failureReason(snap.live);
  return {
    orderId,
    customerId: snap.customerId,
    status: snap.status,
    sagaState: snap.live?.state ?? stateOfStatus(snap.status),
    items: lines(order.lines),
    total: order.total,
    currency: CURRENCY,
    shippingAddress: order.shippingAddress,
    ...(reason ? { failureReason: reason } : {}),
    coordination: 'orchestration',
    createdAt: order.placedAt,
    updatedAt: lastTransitionAt(snap.live) ?? order.placedAt ?? now.toISOString(),
  };
}

export function ordersRouter(ctx: AppContext): Router {
  const { services, sagas, idempotency, clock } = ctx;
  const router = Router();

  const orderIdParam = (raw: unknown) => parseWith(OrderId, raw, 'path');

  /** The order's owner, from the read model or (not projected yet) the workflow; 404 if neither. */
  async function ownerOf(orderId: string): Promise<string> {
    const rec = await services.orders.getOrder(orderId);
    if (rec) return rec.customerId;
    const saga = await services.choreography.getSaga(orderId);
    if (saga) return saga.order.customerId;
    const snap = await sagas.snapshot(orderId, { query: false });
    if (!snap) throw notFound('order');
    return snap.customerId;
  }

  router.post('/orders', async (req, res) => {
    const principal = principalOf(req);
    const key = idempotencyKeyOf(req);
    const body = parseBody(CreateOrderRequest, req);
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
        };
        const accepted = { status: 202, headers: { Location: `/orders/${orderId}` } } as const;
        if (coordination === 'choreography') {
          const { cancellationWindowMs: _window, requestId: _r, ...placed } = input;
          await services.choreography.start(placed, timingsOf(ctx.config), {
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
  });

  router.get('/orders', async (req, res) => {
    const principal = principalOf(req);
    const query = parseWith(ListOrdersQuerySchema, req.query, 'query');
    if (principal.role !== 'admin') {
      if (query.customerId !== undefined && query.customerId !== principal.sub) {
        throw new ApiError(403, 'forbidden', 'A customer can only list their own orders.');
      }
      query.customerId = principal.sub;
    }
    try {
      const page = await services.orders.listOrders(query);
      res.json(page);
    } catch (err) {
      if (err instanceof InvalidCursorError) {
        throw badRequest('The cursor is invalid.', [{ path: 'query.cursor', message: 'invalid cursor' }]);
      }
      throw err;
    }
  });

  router.get('/orders/:orderId', async (req, res) => {
    const orderId = orderIdParam(req.params.orderId);
    const saga = await services.choreography.getSaga(orderId);
    if (saga) {
      assertOwnData(req, saga.order.customerId, 'order');
      res.json(fromSaga(saga));
      return;
    }
    const rec = await services.orders.getOrder(orderId);
    if (rec) {
      assertOwnData(req, rec.customerId, 'order');
      const coordination = await sagas.coordinationOf(orderId);
      const live =
        rec.status === 'PENDING' && coordination === 'orchestration'
          ? await sagas.liveState(orderId)
          : undefined;
      res.json({ ...fromRecord(rec, live), ...(coordination ? { coordination } : {}) });
      return;
    }
    const snap = await sagas.snapshot(orderId, { query: true });
    if (!snap) throw notFound('order');
    assertOwnData(req, snap.customerId, 'order');
    const view = fromWorkflow(orderId, snap, clock());
    if (!view) throw notFound('order');
    res.json({ ...view, coordination: snap.coordination });
  });

  router.get('/orders/:orderId/events', async (req, res) => {
    const orderId = orderIdParam(req.params.orderId);
    assertOwnData(req, await ownerOf(orderId), 'order');
    const items = await services.orders.getOrderEvents(orderId);
    res.json({ items });
  });

  router.get('/orders/:orderId/timeline', async (req, res) => {
    const orderId = orderIdParam(req.params.orderId);
    assertOwnData(req, await ownerOf(orderId), 'order');
    const items = await services.orders.getOrderTimeline(orderId);
    res.json({ items });
  });

  router.post('/orders/:orderId/cancel', async (req, res) => {
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
  });

  return router;
}
