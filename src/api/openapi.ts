/** The OpenAPI 3.1 document from the zod schemas that validate requests; docs/openapi.json is its copy. */
import {
  BUS_OFF,
  body,
  COMMON_ERRORS,
  components,
  CUSTOMER_ID,
  IDEMPOTENCY_KEY,
  json,
  ORDER_ID,
  problem,
  queryParameters,
  SKU,
  WRITE_ERRORS,
  type JsonSchema,
} from './openapi-parts';
import {
  Account,
  AccountQuery,
  CancelAccepted,
  CancelOrderRequest,
  CreateOrderRequest,
  DepositRequest,
  DepositResult,
  EventList,
  Health,
  InventoryItem,
  ListOrdersQuerySchema,
  OrderAccepted,
  OrderList,
  OrderTimeline,
  OrderView,
  RestockRequest,
  SkuDemand,
  UpsertItemRequest,
} from './schemas';

/** The order routes: place, read, audit trail, timeline, cancel. */
function orderPaths(): JsonSchema {
  return {
    '/orders': {
      post: {
        operationId: 'placeOrder',
        summary: 'Place an order (priced from the catalog) and start its saga.',
        parameters: [IDEMPOTENCY_KEY],
        requestBody: body(CreateOrderRequest),
        responses: {
          '202': {
            ...json(OrderAccepted, 'Accepted; the saga runs. GET the Location for its state.'),
            headers: { Location: { schema: { type: 'string' } } },
          },
          ...WRITE_ERRORS,
          '403': problem('A customer ordering for another customer.'),
          '422': problem('Unknown SKU, or the Idempotency-Key was used with a different request.'),
          ...BUS_OFF, // a choreographed order
        },
      },
      get: {
        operationId: 'listOrders',
        summary: 'List orders, newest first (customers: their own).',
        parameters: queryParameters(ListOrdersQuerySchema),
        responses: {
          '200': json(OrderList, 'A page of orders; pass nextCursor as cursor for the next one.'),
          ...COMMON_ERRORS,
          '403': problem('A customer filtering by another customer.'),
        },
      },
    },
    '/orders/{orderId}': {
      get: {
        operationId: 'getOrder',
        summary: 'An order with its live saga state.',
        parameters: [ORDER_ID],
        responses: {
          '200': json(OrderView, 'The order.'),
          ...COMMON_ERRORS,
          '404': problem('No such order (or not yours).'),
        },
      },
    },
    '/orders/{orderId}/events': {
      get: {
        operationId: 'getOrderEvents',
        summary: "The order's event stream (audit trail), versions 1..n.",
        parameters: [ORDER_ID],
        responses: {
          '200': json(EventList, 'Events in version order.'),
          ...COMMON_ERRORS,
          '404': problem('No such order (or not yours).'),
        },
      },
    },
    '/orders/{orderId}/timeline': {
      get: {
        operationId: 'getOrderTimeline',
        summary:
          "Every service's integration events of the order in causal order, as consumed from the bus " +
          '(the `orders.timeline` consumer group; an event appears once the consumer applied it).',
        parameters: [ORDER_ID],
        responses: {
          '200': json(OrderTimeline, 'Events in causal order.'),
          ...COMMON_ERRORS,
          '404': problem('No such order (or not yours).'),
          ...BUS_OFF,
        },
      },
    },
    '/orders/{orderId}/cancel': {
      post: {
        operationId: 'cancelOrder',
        summary: 'Ask the saga to cancel the order (compensations run).',
        parameters: [ORDER_ID, IDEMPOTENCY_KEY],
        requestBody: body(CancelOrderRequest, false),
        responses: {
          '202': json(CancelAccepted, 'Cancellation accepted; the order ends CANCELLED.'),
          ...WRITE_ERRORS,
          '404': problem('No such order (or not yours).'),
          '409': problem('The order can no longer be cancelled, or the key is in flight.'),
          '503': problem(
            'Postgres or Temporal unavailable, or the order has not taken the cancellation yet: retry ' +
              'after `Retry-After` seconds with the same Idempotency-Key to get its outcome.',
          ),
        },
      },
    },
  };
}

/** The accounts and the catalog: balances, deposits, items, demand, restock. */
function accountAndInventoryPaths(): JsonSchema {
  return {
    '/accounts/{customerId}': {
      get: {
        operationId: 'getAccount',
        summary: "A customer's balance, now or as of a past instant.",
        parameters: [CUSTOMER_ID, ...queryParameters(AccountQuery)],
        responses: {
          '200': json(Account, 'The account.'),
          ...COMMON_ERRORS,
          '404': problem('Not your account.'),
        },
      },
    },
    '/accounts/{customerId}/events': {
      get: {
        operationId: 'getAccountEvents',
        summary: "The account's event stream.",
        parameters: [CUSTOMER_ID],
        responses: {
          '200': json(EventList, 'Events in version order.'),
          ...COMMON_ERRORS,
          '404': problem('Not your account.'),
        },
      },
    },
    '/accounts/{customerId}/deposits': {
      post: {
        operationId: 'deposit',
        summary: 'Deposit money (admin).',
        parameters: [CUSTOMER_ID, IDEMPOTENCY_KEY],
        requestBody: body(DepositRequest),
        responses: {
          '201': json(DepositResult, 'Deposited.'),
          ...WRITE_ERRORS,
          '403': problem('Admin only.'),
        },
      },
    },
    '/inventory/{sku}': {
      get: {
        operationId: 'getItem',
        summary: 'A catalog entry with its stock.',
        parameters: [SKU],
        responses: {
          '200': json(InventoryItem, 'The item.'),
          ...COMMON_ERRORS,
          '404': problem('Unknown SKU.'),
        },
      },
      put: {
        operationId: 'upsertItem',
        summary: 'Create or update a catalog entry (admin).',
        parameters: [SKU],
        requestBody: body(UpsertItemRequest),
        responses: {
          '200': json(InventoryItem, 'Updated.'),
          '201': json(InventoryItem, 'Created.'),
          ...COMMON_ERRORS,
          '403': problem('Admin only.'),
          '413': problem('Body larger than 100 kB.'),
          '415': problem('Body is not application/json.'),
        },
      },
    },
    '/inventory/{sku}/demand': {
      get: {
        operationId: 'getSkuDemand',
        summary:
          'Units of the SKU reserved, released and shipped, from the bus (the `inventory.demand` consumer ' +
          'group): each member counts in its own slot, merged on read (G-Counters; outstanding a PN-Counter).',
        parameters: [SKU],
        responses: {
          '200': json(SkuDemand, 'The merged demand.'),
          ...COMMON_ERRORS,
          '404': problem('Unknown SKU.'),
          ...BUS_OFF,
        },
      },
    },
    '/inventory/{sku}/restock': {
      post: {
        operationId: 'restock',
        summary: 'Add stock (admin).',
        parameters: [SKU, IDEMPOTENCY_KEY],
        requestBody: body(RestockRequest),
        responses: {
          '200': json(InventoryItem, 'The item after restocking.'),
          ...WRITE_ERRORS,
          '403': problem('Admin only.'),
          '404': problem('Unknown SKU.'),
        },
      },
    },
  };
}

/** What operators and tools read: health, the AsyncAPI and OpenAPI documents, metrics. */
function operationsPaths(): JsonSchema {
  return {
    '/health': {
      get: {
        operationId: 'health',
        summary:
          'Postgres, Temporal, event store, outbox relay, read models, bus (broker; per consumer group lag, dead ' +
          'letters). Reported, not failing: in-doubt 2PC/3PC transactions; `choreography`: `stuck` orders (no ' +
          "progress past their step's deadline + CHOREOGRAPHY_STUCK_GRACE_MS; `GET /orders?status=STUCK`).",
        security: [],
        responses: {
          '200': json(Health, 'Everything is fine.'),
          '503': json(
            Health,
            'Something is not; `failing` names it. `relay` fails when an undelivered outbox message, `projections` when an order event past a read model checkpoint, has waited longer than RELAY_LAG_LIMIT_S; `bus` when the broker does not answer (its `error` names the broker).',
          ),
        },
      },
    },
    '/asyncapi.json': {
      get: {
        operationId: 'asyncapi',
        summary: 'The AsyncAPI 3.0 document of the bus: topics, keys, headers and event payloads.',
        security: [],
        responses: {
          '200': {
            description: 'AsyncAPI 3.0 (a copy is docs/asyncapi.json).',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: "Prometheus metrics of the gateway and the workers' saga metrics.",
        security: [],
        responses: {
          '200': {
            description: 'Prometheus text format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document.',
        security: [],
        responses: {
          '200': {
            description: 'OpenAPI 3.1.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
  };
}

export function openApiDocument(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'order-saga gateway',
      version: '1.0.0',
      description:
        'Durable order processing. Money is integer cents (USD); times are ISO 8601 UTC; errors are ' +
        'RFC 9457 application/problem+json.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'HS256 JWT with claims sub (customer id), role (customer | admin) and exp.',
        },
      },
      schemas: components(),
    },
    paths: { ...orderPaths(), ...accountAndInventoryPaths(), ...operationsPaths() },
  };
}

/** Stable text form, as committed in docs/openapi.json. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
