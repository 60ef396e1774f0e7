/** The event store module's public surface (services, workers and the API import from here). */
export * from './types';
export { createEventStore, type EventStoreOptions } from './store';
export { appendSql } from './append-sql';
export { START_POSITION } from './read-all';
export { deterministicEventId } from './event-id';
export {
  handleCommand,
  type HandleCommandOptions,
  type HandleCommandResult,
  type StreamCommand,
} from './command';
export { writeOutbox } from './outbox-write';
export { outboxChannel } from './sql';
export { isEnvelope, outboxFor, toEnvelope, upcastEnvelope, type EventEnvelope } from './envelope';
export {
  startOutboxRelay,
  type OutboxDelivery,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxSubscriber,
  type RelayLog,
  type RelayStats,
} from './outbox-relay';
export { processOnce } from './process-once';
export {
  checkEventStoreHealth,
  HEALTH_STREAM,
  PROJECTION_CHECK_TAIL,
  type EventStoreHealth,
  type EventStoreHealthOptions,
  type ProjectionLag,
} from './health';
export {
  ProjectionGapError,
  applyInOrder,
  projectionSubscriber,
  projectionsSubscriber,
  type Projection,
} from './projections/projection';
export { rebuildProjection, type RebuildResult } from './projections/rebuild';
