/**
 * Orders service (schema `orders`, streams `order-<orderId>`): the order's state machine as use cases, each
 * one call of the event store's command handler. Idempotency and defaults: src/services/README.md.
 */
import {
  orderDecider,
  orderStreamId,
  type CancelOrder,
  type FailOrder,
  type MarkPaid,
  type MarkShipped,
  type OrderCommand,
  type OrderPlaced,
  type OrderState,
} from '../../domain/order';
import { orderStepKey } from '../../domain/ids';
import { handleCommand, type HandleCommandResult } from '../../eventstore/command';
import {
  commandOptions,
  resolveDeps,
  toEventRecord,
  type CommandMeta,
  type EventRecord,
  type ServiceDeps,
} from '../common';

/** What placing an order records: exactly the OrderPlaced event's data (total in cents = sum of the lines). */
export type PlaceOrderInput = OrderPlaced['data'];
/** A command's own fields (the service adds `type` and the time), addressed to one order. */
type Args<C extends OrderCommand> = Omit<C, 'type' | 'now'> & { orderId: string };

export interface OrderCommandResult {
  orderId: string;
  /** the aggregate's status after the command: NONE, PLACED, INVENTORY_RESERVED, PAID, ... */
  status: OrderState['status'];
  /** stream version after the command */
  version: number;
  /** false when the outcome had already happened (a retry) or there was nothing to do */
  appended: boolean;
}

export type OrderView = Exclude<OrderState, { status: 'NONE' }> & { version: number };

const summary =
  (orderId: string) =>
  (r: HandleCommandResult<OrderState>): OrderCommandResult => ({
    orderId,
    status: r.state.status,
    version: r.version,
    appended: r.appended,
  });

export function createOrdersService(deps: ServiceDeps) {
  const { store, now } = resolveDeps(deps, 'orders');
  /** the command handler's options; without a step key the key is `order-<id>/<command>` */
  const opts = (orderId: string, type: OrderCommand['type'], meta: CommandMeta) =>
    commandOptions({ correlationId: orderId, ...meta }, orderStepKey(orderId, type));

  return {
    /** OrderPlaced (placedAt from the input); a repeat for the same order changes nothing */
    place: (order: PlaceOrderInput, meta: CommandMeta = {}) =>
      handleCommand(
        store,
        orderStreamId(order.orderId),
        orderDecider,
        { type: 'PlaceOrder', ...order, now: order.placedAt },
        opts(order.orderId, 'PlaceOrder', meta),
      ).then(summary(order.orderId)),
    markInventoryReserved: ({ orderId }: { orderId: string }, meta: CommandMeta = {}) =>
      handleCommand(
        store,
        orderStreamId(orderId),
        orderDecider,
        { type: 'MarkInventoryReserved', now: now() },
        opts(orderId, 'MarkInventoryReserved', meta),
      ).then(summary(orderId)),
    /** InvalidAmount unless amount is the order total */
    markPaid: ({ orderId, amount }: Args<MarkPaid>, meta: CommandMeta = {}) =>
      handleCommand(
        store,
        orderStreamId(orderId),
        orderDecider,
        { type: 'MarkPaid', amount, now: now() },
        opts(orderId, 'MarkPaid', meta),
      ).then(summary(orderId)),
    markShipped: ({ orderId, shipmentId, trackingNumber }: Args<MarkShipped>, meta: CommandMeta = {}) =>
      handleCommand(
        store,
        orderStreamId(orderId),
        orderDecider,
        { type: 'MarkShipped', shipmentId, trackingNumber, now: now() },
        opts(orderId, 'MarkShipped', meta),
      ).then(summary(orderId)),
    complete: ({ orderId }: { orderId: string }, meta: CommandMeta = {}) =>
      handleCommand(
        store,
        orderStreamId(orderId),
        orderDecider,
        { type: 'CompleteOrder', now: now() },
        opts(orderId, 'CompleteOrder', meta),
      ).then(summary(orderId)),
    /** OrderFailed {reason, step}; no-op when the order does not exist or already failed */
    fail: ({ orderId, reason, step }: Args<FailOrder>, meta: CommandMeta = {}) =>
      handleCommand(
        store,
        orderStreamId(orderId),
        orderDecider,
        { type: 'FailOrder', reason, step, now: now() },
        opts(orderId, 'FailOrder', meta),
      ).then(summary(orderId)),
    /** OrderCancelled {reason}; no-op when unknown or already cancelled; InvalidTransition once shipped or terminal */
    cancel: ({ orderId, reason }: Args<CancelOrder>, meta: CommandMeta = {}) =>
      handleCommand(
        store,
        orderStreamId(orderId),
        orderDecider,
        { type: 'CancelOrder', reason, now: now() },
        opts(orderId, 'CancelOrder', meta),
      ).then(summary(orderId)),

    /** the order folded from its stream (as of a time when given); undefined when it was never placed */
    async getOrder(orderId: string, opts: { asOf?: Date } = {}): Promise<OrderView | undefined> {
      const r = await store.aggregateStream(
        orderStreamId(orderId),
        orderDecider,
        opts.asOf ? { asOf: opts.asOf } : {},
      );
      if (r.state.status === 'NONE') return undefined;
      return { ...r.state, version: r.version };
    },
    /** the audit trail: the order's own stream, versions 1..n in order (empty when unknown) */
    async getOrderEvents(orderId: string): Promise<EventRecord[]> {
      return (await store.readStream(orderStreamId(orderId))).map(toEventRecord);
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
