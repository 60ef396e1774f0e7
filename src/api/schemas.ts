/**
 * The API's request and response schemas (zod 4). Request schemas are strict (unknown fields → 400) and
 * validate every request; the same schemas generate the OpenAPI 3.1 document (./openapi.ts).
 */
import { COORDINATION_MODES, DEFAULT_COORDINATION } from '../domain/coordination';
import { z } from 'zod';
import { ORDER_STATUSES, SAGA_STATES } from '../domain/order/progress';
import {
  type Address,
  CURRENCY,
  type OrderLine as DomainOrderLine,
  type OrderRequest,
} from '../domain/order/shape';
import { ADDRESS_FIELDS, text } from '../schemas/address';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency';
import { SUBJECT_PATTERN } from './tokens';
import { STUCK_FILTER } from '../services/orders/stuck';

/**
 * True when a schema's output is the domain type, field for field: both assignable to each other with the
 * same keys. `const _x: Same<z.output<typeof S>, T> = true` fails to compile when a field is added to one
 * and not the other.
 */
type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;

/** Named schemas: they become components.schemas of the OpenAPI document. */
export const apiSchemas = z.registry<{ id: string; description?: string }>();

export const CustomerId = z
  .string()
  .regex(SUBJECT_PATTERN, 'must be 1-128 characters of A-Za-z0-9_.:@-')
  .meta({ description: 'Customer id (the `sub` of their token).' });
export const Sku = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Za-z0-9_.-')
  .meta({ description: 'Stock keeping unit.' });
export const OrderId = z.uuid().meta({ description: 'Order id (a UUID chosen by the gateway).' });
export const Cents = z.number().int().meta({ description: 'Amount in integer cents (USD).' });
export const Currency = z.literal(CURRENCY);
export const IsoTime = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 time.' });

export const OrderStatusSchema = z.enum(ORDER_STATUSES);
export const SagaStateSchema = z.enum(SAGA_STATES);

export const IdempotencyKeyHeader = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, 'must be 1-255 characters of A-Za-z0-9_.:-');

export const ShippingAddressSchema = z
  .strictObject(ADDRESS_FIELDS)
  .register(apiSchemas, { id: 'ShippingAddress' });
const _address: Same<z.output<typeof ShippingAddressSchema>, Address> = true;

export const CoordinationSchema = z.enum(COORDINATION_MODES).meta({
  description:
    'How the services are coordinated: `orchestration` (default: one Temporal workflow calls each service), ' +
    "`choreography` (no coordinator: each service reacts to the others' events on the bus), or an atomic " +
    'commit over Postgres prepared transactions (`2pc`, `3pc`). README "Coordination modes" compares them.',
});

export const CreateOrderRequest = z
  .strictObject({
    customerId: CustomerId.optional(),
    items: z
      .array(
        z.strictObject({
          sku: Sku,
          quantity: z.number().int().min(1).max(1000),
        }),
      )
      .min(1)
      .max(100)
      // JSON Schema cannot say "distinct by one field": the contract says it in words and as x-unique-by
      .meta({ description: 'One line per SKU: each SKU at most once.', 'x-unique-by': 'sku' })
      .superRefine((items, ctx) => {
        const seen = new Set<string>();
        items.forEach((item, i) => {
          if (seen.has(item.sku)) {
            ctx.addIssue({ code: 'custom', path: [i, 'sku'], message: 'duplicate SKU: each SKU once' });
          }
          seen.add(item.sku);
        });
      }),
    shippingAddress: ShippingAddressSchema,
    coordination: CoordinationSchema.default(DEFAULT_COORDINATION),
  })
  .register(apiSchemas, { id: 'CreateOrderRequest' });
// the coordination mode chooses how the order runs; it is not part of the order
const _request: Same<
  Omit<z.output<typeof CreateOrderRequest>, 'customerId' | 'coordination'>,
  OrderRequest
> = true;

export const OrderAccepted = z
  .object({
    orderId: OrderId,
    /** orchestration only: the order's workflow */
    workflowId: z.string().optional(),
    status: z.literal('PENDING'),
    coordination: CoordinationSchema,
  })
  .register(apiSchemas, { id: 'OrderAccepted' });

export const OrderLine = z.object({
  sku: Sku,
  quantity: z.number().int().min(1),
  unitPrice: Cents.min(0),
  lineTotal: Cents.min(0).meta({ description: 'quantity × unitPrice, in cents.' }),
});
const _line: Same<z.output<typeof OrderLine>, DomainOrderLine & { lineTotal: number }> = true;

export const OrderView = z
  .object({
    orderId: OrderId,
    customerId: CustomerId,
    status: OrderStatusSchema,
    sagaState: SagaStateSchema,
    coordination: CoordinationSchema.optional(),
    items: z.array(OrderLine).min(1),
    total: Cents.min(0).meta({ description: "The sum of the items' lineTotal, in cents." }),
    currency: Currency,
    shippingAddress: ShippingAddressSchema.optional(),
    failureReason: z.string().optional(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
  })
  .register(apiSchemas, { id: 'Order' });

export const OrderListItem = z
  .object({
    orderId: OrderId,
    customerId: CustomerId,
    status: OrderStatusSchema,
    sagaState: SagaStateSchema,
    total: Cents.min(0).meta({ description: "The sum of the order's line totals, in cents." }),
    currency: Currency,
    itemCount: z.number().int().min(1).meta({ description: 'How many lines (SKUs) the order has.' }),
    createdAt: IsoTime,
    updatedAt: IsoTime,
  })
  .register(apiSchemas, { id: 'OrderListItem' });

export const OrderList = z
  .object({ items: z.array(OrderListItem), nextCursor: z.string().nullable() })
  .register(apiSchemas, { id: 'OrderList' });

export const ListOrdersQuerySchema = z.strictObject({
  status: z
    .enum([...ORDER_STATUSES, STUCK_FILTER])
    .optional()
    .meta({
      description:
        'Only orders in this status; `STUCK`: choreographed orders (still PENDING) with no progress for ' +
        "longer than their current step's deadline plus CHOREOGRAPHY_STUCK_GRACE_MS.",
    }),
  customerId: CustomerId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

export const EventList = z
  .object({
    items: z.array(
      z.object({ type: z.string(), version: z.number().int(), data: z.unknown(), recordedAt: IsoTime }),
    ),
  })
  .register(apiSchemas, { id: 'EventList' });

export const OrderTimeline = z
  .object({
    items: z.array(
      z.object({
        service: z.enum(['orders', 'inventory', 'payments', 'shipping']),
        eventId: z.string(),
        streamId: z.string(),
        version: z.number().int(),
        type: z.string(),
        schemaVersion: z.number().int(),
        data: z.unknown(),
        causationId: z.string().optional(),
        requestId: z.string().optional(),
        recordedAt: IsoTime,
      }),
    ),
  })
  .register(apiSchemas, { id: 'OrderTimeline' });

export const SkuDemand = z
  .object({
    sku: Sku,
    reserved: z.number().int(),
    released: z.number().int(),
    shipped: z.number().int(),
    outstanding: z.number().int(),
    slots: z.number().int(),
  })
  .register(apiSchemas, { id: 'SkuDemand' });

export const CancelOrderRequest = z
  .strictObject({ reason: text(1, 500).optional() })
  .register(apiSchemas, { id: 'CancelOrderRequest' });
export const CancelAccepted = z
  .object({ orderId: OrderId, status: OrderStatusSchema })
  .register(apiSchemas, { id: 'CancelAccepted' });

export const Account = z
  .object({ customerId: CustomerId, balance: Cents, currency: Currency, version: z.number().int() })
  .register(apiSchemas, { id: 'Account' });
export const AccountQuery = z.strictObject({
  // the year as a pattern, so that the contract states it (a year before 1970 or past 9999 is refused)
  asOf: IsoTime.regex(/^(19[7-9]\d|[2-9]\d{3})-/, 'must be between 1970 and 9999')
    .meta({ format: 'date-time', description: 'ISO 8601 time, year 1970 to 9999.' })
    .optional(),
});
export const DepositRequest = z
  .strictObject({ amount: z.number().int().min(1).max(100_000_000_00) })
  .register(apiSchemas, { id: 'DepositRequest' });
export const DepositResult = z
  .object({ customerId: CustomerId, balance: Cents, version: z.number().int() })
  .register(apiSchemas, { id: 'DepositResult' });

export const UpsertItemRequest = z
  .strictObject({ name: text(1, 200), price: z.number().int().min(1).max(100_000_000) })
  .register(apiSchemas, { id: 'UpsertItemRequest' });
export const RestockRequest = z
  .strictObject({ quantity: z.number().int().min(1).max(1_000_000) })
  .register(apiSchemas, { id: 'RestockRequest' });
export const InventoryItem = z
  .object({
    sku: Sku,
    name: z.string(),
    price: Cents,
    available: z.number().int(),
    reserved: z.number().int(),
  })
  .register(apiSchemas, { id: 'InventoryItem' });

export const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    failing: z.array(z.string()).optional(),
    checks: z.record(z.string(), z.looseObject({ ok: z.boolean() })),
  })
  .register(apiSchemas, { id: 'Health' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .register(apiSchemas, { id: 'Problem' });

export const EmptyQuery = z.strictObject({});
