/**
 * The orders service's read models (tables: migrations/0002_order_read_models.sql), fed by the Order events
 * the orders service appends with `publish: true`. Each is a SQL function (migrations/0005) that applies one
 * event, so one statement applies an event to all three; ./progress.ts is the same mapping in TypeScript.
 */
import type { EventEnvelope } from '../../../eventstore/envelope';
import type { Projection } from '../../../eventstore/projections/projection';

export const ORDERS_SCHEMA = 'orders';

const isOrderStream = (env: EventEnvelope) => env.streamId.startsWith('order-');

/** order_summary: one row per order (status, saga state, items, totals, failure reason) */
export const orderSummaryProjection: Projection = {
  name: 'order_summary',
  tables: ['orders.order_summary'],
  handles: isOrderStream,
  sqlFunction: 'orders.project_order_summary',
};

/** customer_orders: a customer's orders, for keyset pages newest first */
export const customerOrdersProjection: Projection = {
  name: 'customer_orders',
  tables: ['orders.customer_orders'],
  handles: isOrderStream,
  sqlFunction: 'orders.project_customer_orders',
};

/**
 * order_analytics: orders and revenue per (day placed, status), and quantity, revenue and orders per SKU over
 * orders that are not failed or cancelled; order_analytics_orders is its own per-order state.
 */
export const orderAnalyticsProjection: Projection = {
  name: 'order_analytics',
  tables: ['orders.order_analytics_daily', 'orders.order_analytics_skus', 'orders.order_analytics_orders'],
  handles: isOrderStream,
  sqlFunction: 'orders.project_order_analytics',
};

export const ORDER_PROJECTIONS: Projection[] = [
  orderSummaryProjection,
  customerOrdersProjection,
  orderAnalyticsProjection,
];

/** what the event store health check compares with the log for the orders schema */
export const ORDER_PROJECTION_HEALTH = {
  projections: ORDER_PROJECTIONS.map((p) => p.name),
  streamPrefix: 'order-',
};
