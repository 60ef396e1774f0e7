/** /orders: place (idempotent, priced from the catalog), read, list, audit trail, cancel. */
import { Router } from 'express';
import { stateOfStatus } from '../../domain/order/progress';
import { CURRENCY, lineTotal, type OrderLine } from '../../domain/order/shape';
import type { SagaStateView } from '../../workflows/contracts';
import { assertOwnData, principalOf } from '../auth';
import type { AppContext } from '../context';
import { InvalidCursorError, type OrderRecord } from '../wiring';
import { ApiError, assertBusEnabled, badRequest, notFound } from '../problem';
import type { WorkflowSnapshot } from '../sagas';
import { ListOrdersQuerySchema, OrderId, type OrderView } from '../schemas';
import { parseWith } from '../validation';
import { cancelOrderHandler } from './cancel-order';
import { fromSaga, stuckGraceOf } from './choreographed-orders';
import { placeOrderHandler } from './place-order';
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
  const { services, sagas, clock } = ctx;
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

  router.post('/orders', placeOrderHandler(ctx));

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
      const page = await services.orders.listOrders({
        ...query,
        ...(query.status === 'STUCK' && { stuckGraceMs: stuckGraceOf(ctx.config) }),
      });
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
    assertBusEnabled(ctx.config, 'The order timeline');
    const orderId = orderIdParam(req.params.orderId);
    assertOwnData(req, await ownerOf(orderId), 'order');
    const items = await services.orders.getOrderTimeline(orderId);
    res.json({ items });
  });

  router.post('/orders/:orderId/cancel', cancelOrderHandler(ctx, ownerOf));

  return router;
}
