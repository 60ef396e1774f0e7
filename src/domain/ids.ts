/**
 * The services and the id formats, in one place: stream ids per aggregate, the order's business id (its
 * stream id and its saga's workflow id) and the idempotency key of a step. Everything that builds or parses
 * one of these ids calls these functions.
 */

/** The four services: each has its own Postgres schema, task queue and worker. */
export const SERVICES = ['orders', 'inventory', 'payments', 'shipping'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The prefix of the streams of each service's aggregate. */
export const STREAM_PREFIXES = {
  orders: 'order-',
  inventory: 'item-',
  payments: 'account-',
  shipping: 'shipment-',
} as const satisfies Record<ServiceName, string>;

/** `order-<orderId>`: the order's stream, and the workflow id of its saga (the business id). */
export const orderStreamId = (orderId: string): string => `${STREAM_PREFIXES.orders}${orderId}`;
export const orderWorkflowId = orderStreamId;
/** `account-<customerId>` */
export const accountStreamId = (customerId: string): string => `${STREAM_PREFIXES.payments}${customerId}`;
/** `item-<sku>` */
export const itemStreamId = (sku: string): string => `${STREAM_PREFIXES.inventory}${sku}`;
/** `shipment-<orderId>` */
export const shipmentStreamId = (orderId: string): string => `${STREAM_PREFIXES.shipping}${orderId}`;
/** The shipment id is derived from the order (one shipment per order): `shp-<orderId>`. */
export const shipmentIdFor = (orderId: string): string => `shp-${orderId}`;

/** The idempotency key of one step of a saga: `<workflowId>/<step>`. */
export const stepKey = (workflowId: string, step: string): string => `${workflowId}/${step}`;
/** The key of an order's step when no saga gave one: `order-<orderId>/<step>`. */
export const orderStepKey = (orderId: string, step: string): string =>
  stepKey(orderWorkflowId(orderId), step);
