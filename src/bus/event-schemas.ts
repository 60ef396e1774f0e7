/**
 * The payload schemas of every integration event on the bus, per topic: one zod schema per event type of
 * each service's domain, typed against the domain's own event union (a type without a schema, or a schema
 * whose output does not fit the domain's data, fails to compile). The AsyncAPI document (asyncapi.ts) is
 * generated from these and from headers.ts.
 */
import { z } from 'zod';
import type { AccountEvent } from '../domain/account';
import type { InventoryEvent } from '../domain/inventory';
import type { OrderEvent } from '../domain/order';
import type { ShipmentEvent } from '../domain/shipment';
import { AddressSchema } from '../schemas/address';
import type { ServiceName } from '../workflows/contracts';

type DataSchemas<E extends { type: string; data: unknown }> = {
  [K in E['type']]: z.ZodType<Extract<E, { type: K }>['data']>;
};

const id = z.string().min(1);
const at = z.string().describe('ISO 8601 time');
const cents = z.number().int();
const qty = z.number().int().min(1);
const address = AddressSchema;
const orderRef = { orderId: id, at };

const orders: DataSchemas<OrderEvent> = {
  OrderPlaced: z.object({
    orderId: id,
    customerId: id,
    lines: z.array(z.object({ sku: id, quantity: qty, unitPrice: cents })),
    total: cents,
    currency: z.literal('USD'),
    shippingAddress: address,
    placedAt: at,
  }),
  OrderInventoryReserved: z.object(orderRef),
  OrderPaid: z.object({ ...orderRef, amount: cents }),
  OrderShipped: z.object({ ...orderRef, shipmentId: id, trackingNumber: id }),
  OrderCompleted: z.object(orderRef),
  OrderFailed: z.object({ ...orderRef, reason: z.string(), step: z.string() }),
  OrderCancelled: z.object({ ...orderRef, reason: z.string() }),
};

const stock = z.object({ sku: id, orderId: id, quantity: qty, at });
const inventory: DataSchemas<InventoryEvent> = {
  ItemDefined: z.object({ sku: id, name: z.string(), price: cents, at }),
  ItemUpdated: z.object({ sku: id, name: z.string(), price: cents, at }),
  ItemRestocked: z.object({ sku: id, restockId: id, quantity: qty, at }),
  StockReserved: stock,
  StockReleased: stock,
  StockCommitted: stock,
};

const money = { customerId: id, amount: cents, balanceAfter: cents, at };
const payments: DataSchemas<AccountEvent> = {
  FundsDeposited: z.object({ ...money, depositId: id }),
  FundsWithdrawn: z.object({ ...money, withdrawalId: id }),
  AccountCharged: z.object({ ...money, orderId: id }),
  AccountRefunded: z.object({ ...money, orderId: id }),
};

const shipping: DataSchemas<ShipmentEvent> = {
  ShipmentCreated: z.object({
    shipmentId: id,
    orderId: id,
    address,
    lines: z.array(z.object({ sku: id, quantity: qty })),
    at,
  }),
  ShipmentDispatched: z.object({ shipmentId: id, orderId: id, trackingNumber: id, at }),
  ShipmentCancelled: z.object({ shipmentId: id, orderId: id, reason: z.string(), at }),
};

/** Per service (topic `<service>.events`), per event type: the schema of the envelope's `data`. */
export const EVENT_DATA_SCHEMAS: Record<ServiceName, Record<string, z.ZodType>> = {
  orders,
  inventory,
  payments,
  shipping,
};

/** The envelope every message value is (src/eventstore/envelope.ts), with `data` of one event type. */
export function envelopeSchema(type: string, data: z.ZodType) {
  return z.object({
    eventId: z.uuid(),
    streamId: id.describe('the aggregate id; also the message key'),
    version: z.number().int().min(1).describe("the event's version in its stream, 1, 2, 3, ..."),
    type: z.literal(type),
    schemaVersion: z.number().int().min(1),
    data,
    metadata: z
      .looseObject({
        correlationId: z.string().optional(),
        causationId: z.string().optional(),
        requestId: z.string().optional(),
        workflowId: z.string().optional(),
        workflowRunId: z.string().optional(),
        activityId: z.string().optional(),
        activityType: z.string().optional(),
        idempotencyKey: z.string().optional(),
      })
      .describe(
        'where the event came from (the saga step, the HTTP request, e.g. the actor); more keys may appear',
      ),
    recordedAt: at,
  });
}
