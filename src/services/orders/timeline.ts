/**
 * The order timeline (orders service): every service's integration events of one order, fed from the bus
 * by the `orders.timeline` consumer (its checkpoints in the orders schema, written with each row).
 *
 * Causal order: one stream's events in version order (the consumer applies them in that order, and a stream's
 * versions are its causal order); across services by the time each event was recorded, because every step of
 * an order is caused by the one before it and is recorded after it commits (the saga runs them one after the
 * other; a compensation is caused by the failure recorded before it). Ties: stream id, then version.
 */
import type { Pool, PoolClient } from 'pg';
import { orderIdOf } from '../../bus/event-message';
import type { BusEvent } from '../../bus/ordered-apply';
import { EVENT_TOPICS } from '../../bus/topics';

export const TIMELINE_CONSUMER = 'orders.timeline';
export const TIMELINE_TOPICS = EVENT_TOPICS;

export interface TimelineEntry {
  /** the service whose topic carried it */
  service: string;
  eventId: string;
  streamId: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  causationId?: string;
  requestId?: string;
  /** ISO 8601 */
  recordedAt: string;
}

/** The consumer's effect: one row per event that belongs to an order (others are only checkpointed). */
export async function applyToTimeline(client: PoolClient, event: BusEvent): Promise<void> {
  const env = event.envelope;
  const orderId = orderIdOf(env);
  if (!orderId) return;
  await client.query(
    `INSERT INTO orders.order_timeline (order_id, event_id, service, stream_id, version, event_type,
       schema_version, data, causation_id, request_id, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
    [
      orderId,
      env.eventId,
      event.topic.replace(/\.events$/, ''),
      env.streamId,
      env.version,
      env.type,
      env.schemaVersion,
      JSON.stringify(env.data ?? null),
      env.metadata?.causationId ?? null,
      env.metadata?.requestId ?? null,
      env.recordedAt,
    ],
  );
}

export async function getOrderTimeline(pool: Pool, orderId: string): Promise<TimelineEntry[]> {
  const r = await pool.query<{
    service: string;
    event_id: string;
    stream_id: string;
    version: string;
    event_type: string;
    schema_version: number;
    data: unknown;
    causation_id: string | null;
    request_id: string | null;
    recorded_at: Date;
  }>(
    `SELECT service, event_id, stream_id, version, event_type, schema_version, data, causation_id, request_id,
            recorded_at
     FROM orders.order_timeline WHERE order_id = $1 ORDER BY recorded_at, stream_id, version`,
    [orderId],
  );
  return r.rows.map((row) => ({
    service: row.service,
    eventId: row.event_id,
    streamId: row.stream_id,
    version: Number(row.version),
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    ...(row.causation_id !== null && { causationId: row.causation_id }),
    ...(row.request_id !== null && { requestId: row.request_id }),
    recordedAt: row.recorded_at.toISOString(),
  }));
}
