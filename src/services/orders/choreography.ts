/**
 * The orders service's side of a choreographed order: it places the order and starts its saga state
 * machine (src/domain/choreography/saga.ts, stream `saga-<orderId>`), moves it on the participants' events,
 * the cancellation window and the step deadlines (scheduled messages in the orders schema), and keeps the
 * order aggregate (`order-<orderId>`) in step with it, so the read models and the audit trail are the same
 * in both modes. Every transition is published on `orders.events`; the services react to it.
 */
import type { Pool } from 'pg';
import {
  AWAITED_STEP,
  progressDeadlineMs,
  choreographyDecider,
  choreographyStreamId,
  type ChoreographyCommand,
  type ChoreographyState,
  type ChoreographyTimings,
} from '../../domain/choreography';
import { handleCommand } from '../../eventstore/command';
import type { EventMetadata } from '../../eventstore/types';
import { cancelScheduled, scheduleMessage } from '../../scheduler';
import type { SagaStateName } from '../../workflows/contracts';
import { resolveDeps, type CommandMeta, type ServiceDeps } from '../common';
import { choreographyKey } from '../participation';
import { createOrdersService, type PlaceOrderInput } from '.';
import { recordProgress } from './stuck';

export const WINDOW_MESSAGE = 'choreography-window';
export const DEADLINE_MESSAGE = 'choreography-deadline';

export type ChoreographedSaga = Exclude<ChoreographyState, { status: 'NONE' }> & { version: number };

/** The order aggregate's end once the saga has ended: completed, failed (with its step) or cancelled. */
async function settleOrder(
  orders: ReturnType<typeof createOrdersService>,
  orderId: string,
  s: ChoreographyState,
  meta: CommandMeta,
): Promise<void> {
  if (s.status === 'COMPLETED') await orders.complete({ orderId }, meta);
  if (s.status === 'FAILED') {
    const reason = s.failure ? `${s.failure.type}: ${s.failure.message}` : 'failed';
    await orders.fail({ orderId, reason, step: s.failure?.step ?? 'unknown' }, meta);
  }
  if (s.status === 'CANCELLED')
    await orders.cancel({ orderId, reason: s.failure?.message ?? 'cancelled' }, meta);
}

export function createOrderChoreography(deps: ServiceDeps) {
  const { store, now } = resolveDeps(deps, 'orders');
  const pool: Pool = deps.pool;
  const orders = createOrdersService(deps);

  async function run(orderId: string, command: ChoreographyCommand, key: string, meta: CommandMeta) {
    const r = await handleCommand(store, choreographyStreamId(orderId), choreographyDecider, command, {
      idempotencyKey: (streamId, type) => `${key}|${streamId}|${type}`,
      metadata: { correlationId: orderId, ...meta, idempotencyKey: key },
      publish: true,
    });
    await sync(orderId, r.state, meta);
    return r;
  }

  const schedule = (id: string, kind: string, orderId: string, dueInMs: number, payload: object = {}) =>
    scheduleMessage(pool, 'orders', {
      id,
      kind,
      payload: { orderId, ...payload },
      dueAt: new Date(Date.now() + dueInMs),
    });

  /**
   * Brings the order aggregate and the scheduled messages in line with the saga's state. Every call is
   * idempotent, so a reaction retried after a crash between the saga's append and this does it again safely.
   */
  async function sync(orderId: string, s: ChoreographyState, cause: EventMetadata): Promise<void> {
    if (s.status === 'NONE') return;
    const meta: CommandMeta = {
      correlationId: orderId,
      ...(cause.causationId && { causationId: cause.causationId }),
      idempotencyKey: choreographyKey(orderId, 'order'),
    };
    const passed = (state: SagaStateName) => s.transitions.some((t) => t.to === state) || s.status === state;
    const t = s.timings;
    await recordProgress(pool, s);
    const deadline = (state: SagaStateName) =>
      schedule(`deadline/${orderId}/${state}`, DEADLINE_MESSAGE, orderId, progressDeadlineMs(state, t) ?? 0, {
        state,
      });
    if (s.status === 'ORDER_PLACED') await deadline('ORDER_PLACED');
    if (passed('INVENTORY_RESERVED')) await orders.markInventoryReserved({ orderId }, meta);
    if (s.status === 'INVENTORY_RESERVED') await deadline('INVENTORY_RESERVED');
    if (passed('PAYMENT_COMPLETED')) await orders.markPaid({ orderId, amount: s.order.total }, meta);
    if (s.status === 'PAYMENT_COMPLETED')
      await schedule(`window/${orderId}`, WINDOW_MESSAGE, orderId, t.windowMs);
    if (s.status === 'AWAITING_SHIPMENT') await deadline('AWAITING_SHIPMENT');
    if (passed('ORDER_SHIPPED') && s.shipment)
      await orders.markShipped(
        { orderId, shipmentId: s.shipment.shipmentId, trackingNumber: s.shipment.trackingNumber },
        meta,
      );
    if (s.status === 'ORDER_SHIPPED') await deadline('ORDER_SHIPPED');
    if (s.status === 'COMPENSATING') await cancelScheduled(pool, 'orders', `window/${orderId}`);
    await settleOrder(orders, orderId, s, meta);
  }

  async function getSaga(orderId: string): Promise<ChoreographedSaga | undefined> {
    const r = await store.aggregateStream(choreographyStreamId(orderId), choreographyDecider);
    return r.state.status === 'NONE' ? undefined : { ...r.state, version: r.version };
  }

  return {
    getSaga,

    /** Places the order (OrderPlaced) and starts its choreography; a repeat changes nothing. */
    async start(order: PlaceOrderInput, timings: ChoreographyTimings, meta: CommandMeta = {}) {
      await orders.place(order, { ...meta, idempotencyKey: choreographyKey(order.orderId, 'place') });
      const r = await run(
        order.orderId,
        { type: 'StartChoreography', order, timings, now: order.placedAt },
        choreographyKey(order.orderId, 'start'),
        meta,
      );
      return r.state;
    },

    /** The customer's cancel: InvalidTransition once the window has closed (the API answers 409). */
    async cancel(orderId: string, reason: string, meta: CommandMeta = {}) {
      const r = await run(
        orderId,
        { type: 'CancelChoreography', reason, now: now() },
        choreographyKey(orderId, 'cancel'),
        meta,
      );
      return r.state;
    },

    /** A participant's event (consumed from the bus) moves the saga; keyed by that event's id. */
    observe(orderId: string, command: ChoreographyCommand, causationId: string) {
      return run(orderId, command, `observed/${causationId}`, { causationId });
    },

    windowElapsed(orderId: string) {
      return run(orderId, { type: 'WindowElapsed', now: now() }, choreographyKey(orderId, 'window'), {});
    },

    deadlineExceeded(orderId: string, state: SagaStateName) {
      return run(
        orderId,
        { type: 'DeadlineExceeded', state, now: now() },
        choreographyKey(orderId, `deadline-${state}`),
        {},
      );
    },

    awaitedStep: (state: SagaStateName) => AWAITED_STEP[state],
  };
}

export type OrderChoreography = ReturnType<typeof createOrderChoreography>;
