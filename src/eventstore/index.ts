/** The event store module's public surface (services, workers and the API import from here). */
export * from './types';
export {
  START_POSITION,
  appendSql,
  createEventStore,
  deterministicEventId,
  handleCommand,
  outboxChannel,
  writeOutbox,
  type EventStoreOptions,
  type HandleCommandOptions,
  type HandleCommandResult,
} from './store';
export { isEnvelope, outboxFor, toEnvelope, upcastEnvelope, type EventEnvelope } from './envelope';
export {
  processOnce,
  startOutboxRelay,
  type OutboxDelivery,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxSubscriber,
  type RelayLog,
  type RelayStats,
} from './outbox-relay';
export {
  checkEventStoreHealth,
  HEALTH_STREAM,
  PROJECTION_CHECK_TAIL,
  type EventStoreHealth,
  type ProjectionLag,
} from './health';
export {
  ProjectionGapError,
  applyInOrder,
  projectionSubscriber,
  projectionsSubscriber,
  rebuildProjection,
  type Projection,
  type RebuildResult,
} from './projections/projection';
export {
  ORDER_PROJECTIONS,
  ORDERS_SCHEMA,
  InvalidCursorError,
  decodeCursor,
  encodeCursor,
  getAnalytics,
  getOrderSummary,
  listOrders,
  type AnalyticsQuery,
  type ListOrdersQuery,
  type OrderAnalytics,
  type OrderListItem,
  type OrderSummaryView,
} from './projections/orders';
