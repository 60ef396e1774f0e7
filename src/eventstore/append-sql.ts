/**
 * The text of the one statement an append is: read the stream's version, insert the events if it matches,
 * write their outbox rows, NOTIFY when asked. Pure, so the shapes are reviewed and unit-tested as text.
 */
import { envelopeSql, quoteSchema } from './sql';
import type { ExpectedVersion } from './types';

export type Mode = 'no_stream' | 'expected' | 'any';

export interface AppendSqlShape {
  /** one event: scalar parameters (no arrays, so Postgres keeps its generic plan: measurably faster) */
  single: boolean;
  explicitOutbox: boolean;
  publish: boolean;
  /** NOTIFY the relay inside the statement (only meaningful with outbox rows) */
  notify: boolean;
  /**
   * for a caller's transaction, which an SQL error would abort: a retry or a lost race must write nothing
   * without raising one. One event: ON CONFLICT DO NOTHING (covers the event id and (stream_id, version)
   * indexes). A batch: "no event id stored yet" checked inside the statement (DO NOTHING could write part of
   * a batch), so a retry is a no-op; a lost race still fails it on the unique index. Without the guard (own
   * transaction) a stored id or a lost race fails the statement, which rolls back as a whole; the error is
   * then classified (this saves the speculative-insertion work on every append).
   */
  guardIds: boolean;
}

/**
 * SQL of the single append statement, per expected-version mode and shape. Exported for review and tests.
 * Parameters: $1 stream, $2 event count, $3 expected version, $4 ids, $5 types, $6 schema versions, $7 data
 * (scalars when `single`, else arrays), $8 metadata, $9 recorded_at (null: statement_timestamp()),
 * then with explicitOutbox $10-$14 (ids, topics, aggregate ids, payloads, metadata), then the NOTIFY channel.
 * It returns the inserted events' (global_position, version, recorded_at), or no row when nothing was written
 * (an id already stored, or the expected version did not match).
 */
export function appendSql(schema: string, mode: Mode, shape: AppendSqlShape): string {
  const s = quoteSchema(schema);
  const at = 'coalesce($9::timestamptz, statement_timestamp())';
  const idGuard =
    shape.guardIds && !shape.single
      ? ` AND NOT EXISTS (SELECT 1 FROM ${s}.events WHERE event_id = ANY($4::uuid[]))`
      : '';
  // the stream's current version: the newest entry of the (stream_id, version) index, 0 for a new stream
  const current = `(SELECT coalesce(max(version), 0) AS v FROM ${s}.events WHERE stream_id = $1) cur`;
  // ('any' binds $3 as well, so every statement has the same parameters)
  const check = `${mode === 'any' ? '(cur.v = $3::bigint OR true)' : 'cur.v = $3::bigint'}${idGuard}`;
  const insert = `INSERT INTO ${s}.events AS ev (stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at)
       ${
         shape.single
           ? `SELECT $1, cur.v + $2::bigint, $4::uuid, $5::text, $6::int, $7::jsonb, $8::jsonb, ${at}
       FROM ${current} WHERE ${check}${shape.guardIds ? '\n       ON CONFLICT DO NOTHING' : ''}`
           : `SELECT $1, cur.v + e.ord, e.id, e.type, e.sv, e.data, $8::jsonb, ${at}
       FROM ${current}, unnest($4::uuid[], $5::text[], $6::int[], $7::jsonb[]) WITH ORDINALITY AS e(id, type, sv, data, ord)
       WHERE ${check} AND e.ord <= $2::bigint ORDER BY e.ord`
       }`;
  if (!shape.explicitOutbox && !shape.publish) {
    return `${insert}
     RETURNING global_position, version, recorded_at`;
  }
  const ctes = [
    `ins AS (${insert}
       RETURNING global_position, version, recorded_at, event_id, event_type, schema_version, data, metadata)`,
  ];
  let p = 10;
  if (shape.explicitOutbox) {
    ctes.push(`obx AS (
       INSERT INTO ${s}.outbox (message_id, topic, aggregate_id, payload, metadata)
       SELECT o.id, o.topic, o.agg, o.payload, o.meta
       FROM unnest($10::uuid[], $11::text[], $12::text[], $13::jsonb[], $14::jsonb[]) WITH ORDINALITY
            AS o(id, topic, agg, payload, meta, ord)
       WHERE EXISTS (SELECT 1 FROM ins)
       ORDER BY o.ord
       RETURNING 1)`);
    p = 15;
  }
  if (shape.publish) {
    ctes.push(`obp AS (
       INSERT INTO ${s}.outbox (message_id, topic, aggregate_id, payload, metadata)
       SELECT i.event_id, '${schema}.' || i.event_type, $1,
              ${envelopeSql('i', '$1::text')},
              i.metadata
       FROM ins i ORDER BY i.version
       RETURNING 1)`);
  }
  if (!shape.notify) {
    return `WITH ${ctes.join(',\n')}
SELECT i.global_position, i.version, i.recorded_at FROM ins i ORDER BY i.version`;
  }
  ctes.push(`note AS (SELECT pg_notify($${p}::text, '') FROM (SELECT 1 FROM ins LIMIT 1) written)`);
  return `WITH ${ctes.join(',\n')}
SELECT i.global_position, i.version, i.recorded_at, (SELECT count(*) FROM note) AS notified
FROM ins i ORDER BY i.version`;
}

export interface AppendRow {
  global_position: number;
  version: number;
  recorded_at: Date;
}

export function modeOf(expected: ExpectedVersion): Mode {
  if (expected === 'any') return 'any';
  if (expected === 'no_stream' || expected === 0) return 'no_stream';
  if (!Number.isInteger(expected) || expected < 0) throw new Error(`invalid expected version ${expected}`);
  return 'expected';
}
