/**
 * SQL pieces every store operation shares: the schema as an identifier, the relay's NOTIFY channel, the
 * event columns and their mapping to StoredEvent (upcast on read), and the outbox payload of an event row.
 */
import type { QueryResultRow } from 'pg';
import { upcast } from './envelope';
import type { EventMetadata, StoredEvent, UpcasterRegistry } from './types';

/** a service schema (orders, inventory, ...) as a quoted identifier; anything else is refused */
export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return `"${schema}"`;
}

export const outboxChannel = (schema: string): string => `${schema}_outbox`;

export interface EventRow extends QueryResultRow {
  global_position: number;
  /** the xid8 as text (named apart from the column so ORDER BY transaction_id stays numeric) */
  txid: string;
  stream_id: string;
  version: number;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

export const EVENT_COLUMNS =
  'global_position, transaction_id::text AS txid, stream_id, version, event_id, event_type, ' +
  'schema_version, data, metadata, recorded_at';

export function toStoredEvent(
  r: EventRow,
  upcasters: UpcasterRegistry | undefined,
): StoredEvent & { transactionId: string } {
  const u = upcast(upcasters, r.event_type, r.schema_version, r.data);
  return {
    globalPosition: r.global_position,
    transactionId: r.txid,
    streamId: r.stream_id,
    version: r.version,
    id: r.event_id,
    type: r.event_type,
    schemaVersion: u.schemaVersion,
    data: u.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at,
  };
}

/** the outbox payload of a published event (an EventEnvelope, see envelope.ts) built from an inserted row */
export function envelopeSql(row: string, stream: string): string {
  return `jsonb_build_object('eventId', ${row}.event_id, 'streamId', ${stream}, 'version', ${row}.version,
                'type', ${row}.event_type, 'schemaVersion', ${row}.schema_version, 'data', ${row}.data,
                'metadata', ${row}.metadata, 'recordedAt', ${row}.recorded_at)`;
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
