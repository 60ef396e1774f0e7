/**
 * Orders service (schema `orders`, streams `order-<orderId>`): the order's state machine as use cases.
 * Every command is idempotent: the decider returns nothing for an outcome that already happened, and the
 * event ids derive from the step's idempotency key (default `order-<orderId>/<command>`), so a retried
 * append is a no-op in the store. Every appended event is also published through the outbox.
 */
import {
  orderDecider,
  orderStreamId,
  type OrderCommand,
  type OrderPlaced,
  type OrderState,
} from '../../domain/order';
import {
  commandOptions,
  resolveDeps,
  toEventRecord,
  type CommandMeta,
  type EventRecord,
  type ServiceDeps,
} from '../common';
import { handleCommand } from '../../eventstore/command';

/** What placing an order records: exactly the OrderPlaced event's data (total in cents = sum of the lines). */
export type PlaceOrderInput = OrderPlaced['data'];

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

export function createOrdersService(deps: ServiceDeps) {
  const { store, now } = resolveDeps(deps, 'orders');

  async function run(orderId: string, command: OrderCommand, meta: CommandMeta): Promise<OrderCommandResult> {
    const streamId = orderStreamId(orderId);
    const metadata: CommandMeta = { correlationId: orderId, ...meta };
    const r = await handleCommand(
      store,
      streamId,
      orderDecider,
      command,
      commandOptions(metadata, `order-${orderId}/${command.type}`),
    );
    return { orderId, status: r.state.status, version: r.version, appended: r.appended };
  }

  return {
    /** OrderPlaced (placedAt from the input); a repeat for the same order changes nothing */
    place(order: PlaceOrderInput, meta: CommandMeta = {}): Promise<OrderCommandResult> {
      return run(order.orderId, { type: 'PlaceOrder', ...order, now: order.placedAt }, meta);
    },
    markInventoryReserved(orderId: string, meta: CommandMeta = {}): Promise<OrderCommandResult> {
      return run(orderId, { type: 'MarkInventoryReserved', now: now() }, meta);
    },
    /** InvalidAmount unless amount is the order total */
    markPaid(orderId: string, amount: number, meta: CommandMeta = {}): Promise<OrderCommandResult> {
      return run(orderId, { type: 'MarkPaid', amount, now: now() }, meta);
    },
    markShipped(
      orderId: string,
      shipmentId: string,
      trackingNumber: string,
      meta: CommandMeta = {},
    ): Promise<OrderCommandResult> {
      return run(orderId, { type: 'MarkShipped', shipmentId, trackingNumber, now: now() }, meta);
    },
    complete(orderId: string, meta: CommandMeta = {}): Promise<OrderCommandResult> {
      return run(orderId, { type: 'CompleteOrder', now: now() }, meta);
    },
    /** OrderFailed {reason, step}; no-op when the order does not exist or already failed */
    fail(orderId: string, reason: string, step: string, meta: CommandMeta = {}): Promise<OrderCommandResult> {
      return run(orderId, { type: 'FailOrder', reason, step, now: now() }, meta);
    },
    /** OrderCancelled {reason}; no-op when the order does not exist or is already cancelled; InvalidTransition once shipped or terminal */
    cancel(orderId: string, reason: string, meta: CommandMeta = {}): Promise<OrderCommandResult> {
      return run(orderId, { type: 'CancelOrder', reason, now: now() }, meta);
    },
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
