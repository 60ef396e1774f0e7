/**
 * The /orders routes' side for choreographed orders: no workflow to start, query or update; the orders
 * service's saga stream answers instead (src/services/orders/choreography.ts). Same bodies, same rules.
 */
import type { z } from 'zod';
import { DEFAULT_CHOREOGRAPHY_DEADLINES, type ChoreographyTimings } from '../../domain/choreography';
import { InvalidTransition } from '../../domain/errors';
import type { ChoreographedSaga } from '../../services/orders/choreography';
import type { OrderStatus, SagaStateName } from '../../workflows/contracts';
import type { AppContext } from '../context';
import { ApiError } from '../problem';
import type { OrderView } from '../schemas';

const STATUS_OF_STATE: Partial<Record<SagaStateName, OrderStatus>> = {
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
};
export const statusOfSagaState = (s: SagaStateName): OrderStatus => STATUS_OF_STATE[s] ?? 'PENDING';

export function timingsOf(config: AppContext['config']): ChoreographyTimings {
  return {
    windowMs: config.cancellationWindowMs,
    stepDeadlineMs: config.choreography?.stepDeadlineMs ?? DEFAULT_CHOREOGRAPHY_DEADLINES.stepDeadlineMs,
    shipmentBudgetMs: config.shipmentBudgetMs ?? DEFAULT_CHOREOGRAPHY_DEADLINES.shipmentBudgetMs,
  };
}

/** CHOREOGRAPHY_STUCK_GRACE_MS: how long past its step's deadline a choreographed order is stuck (ms) */
export const stuckGraceOf = (config: AppContext['config']): number =>
  config.choreography?.stuckGraceMs ?? DEFAULT_CHOREOGRAPHY_DEADLINES.stuckGraceMs;

/** GET /orders/{id} of a choreographed order, from its saga state. */
export function fromSaga(saga: ChoreographedSaga): z.input<typeof OrderView> {
  const o = saga.order;
  return {
    orderId: saga.orderId,
    customerId: o.customerId,
    status: statusOfSagaState(saga.status),
    sagaState: saga.status,
    items: o.lines.map((l) => ({ ...l, lineTotal: l.quantity * l.unitPrice })),
    total: o.total,
    currency: 'USD',
    shippingAddress: o.shippingAddress,
    ...(saga.failure ? { failureReason: `${saga.failure.type}: ${saga.failure.message}` } : {}),
    coordination: 'choreography',
    createdAt: o.placedAt,
    updatedAt: saga.progressedAt,
  };
}

/** POST /orders/{id}/cancel of a choreographed order: 202 while cancellable, 409 after (as orchestrated). */
export async function cancelChoreographed(
  ctx: AppContext,
  orderId: string,
  reason: string,
  cmd: { requestId: string; actor: string },
): Promise<{ status: 202; body: { orderId: string; status: OrderStatus } }> {
  try {
    const r = await ctx.services.choreography.cancel(orderId, reason, cmd);
    // a cancel is accepted only once the saga exists, so its state is never NONE here
    if (r.status === 'NONE')
      throw new InvalidTransition('ChoreographedOrder', r.status, 'CancelChoreography');
    return { status: 202, body: { orderId, status: statusOfSagaState(r.status) } };
  } catch (err) {
    if (err instanceof InvalidTransition) {
      throw new ApiError(409, 'cannot-cancel', `The order can no longer be cancelled: ${err.message}`);
    }
    throw err;
  }
}
