/**
 * Postgres event store (tables: migrations/0001_eventstore.sql, one set per service schema).
 *
 * append — one SQL statement, so without `opts.client` it is a single autocommit round trip. There is no
 *   per-stream row to bump: the stream's version is the newest entry of the unique (stream_id, version) index,
 *   and that index is the optimistic check.
 *   1. The statement reads the current version (max(version), one backward index probe) and inserts the
 *      events as current+1..current+n only if current = expected ('any': whatever it is). Two appenders with
 *      the same expected version both pass that check in their snapshots and insert the same
 *      (stream_id, version): the second waits on the index for the first to commit, then loses. Versions are
 *      therefore 1..n without gaps, and an append that depends on an earlier one (expected = its version)
 *      runs after that one committed, so per stream commit order = version order = outbox position order.
 *   2. In its own transaction a lost race, or an event id stored before, fails the statement on a unique
 *      index, which rolls it back as a whole; the error is then classified (below). In a caller's
 *      transaction an error would abort the caller's work, so there a one-event append uses
 *      INSERT ... ON CONFLICT DO NOTHING (writes nothing, raises nothing), and a batch, which DO NOTHING could
 *      write in part, is guarded by "none of the event ids is stored yet" (a retry is a no-op; a lost race
 *      still fails it). A one-event append binds scalar parameters (with arrays Postgres re-planned the
 *      statement on every call).
 *   3. In the same statement: the outbox rows (explicit `opts.outbox`; with `publish`, one EventEnvelope per
 *      event) and, when asked, pg_notify of the relay channel, which Postgres delivers at commit.
 *   When the statement wrote nothing, a second query tells why (rare path):
 *   - every id of the batch is already stored in this stream → an idempotent retry: a no-op that returns the
 *     stored events with `appended: false`, whatever the expected version (a retry after success must not
 *     fail);
 *   - some ids are stored, or stored in another stream → EventIdConflictError (a batch is atomic, so a
 *     partial overlap cannot be a retry of it); nothing written;
 *   - otherwise → ConcurrencyError with the current version ('any' tries again); nothing written.
 *   After a unique-index error (a batch in its own transaction), the same classification runs. In a caller's
 *   transaction a unique-index error (a batch racing another append to the stream) raises ConcurrencyError:
 *   Postgres has aborted that transaction, so the caller retries it.
 *
 * Group commit (./group-commit.ts) — one-event appends in their own transaction that arrive while earlier
 *   ones are still in flight are written together by one multi-row statement of the same shape, one commit
 *   (and one WAL flush) for all of them; each caller still gets its own result or error.
 *
 * readAll — gap-safe global order. Each event stores its writer's top-level transaction id
 *   (pg_current_xact_id()). A reader returns only events with transaction_id < pg_snapshot_xmin(snapshot),
 *   ordered by (transaction_id, global_position), after the checkpoint (transactionId, position).
 *   Proof: every transaction below xmin has finished, so the set of events below xmin is final; a
 *   transaction that commits later has an xid ≥ that xmin > every checkpoint handed out so far, so its
 *   events sort after every checkpoint and are read on a later call. (A long-running transaction anywhere in
 *   the cluster holds xmin back: it delays readers, it never makes them skip.)
 *
 * Snapshots — aggregateStream without asOf/toVersion starts from the newest snapshot for the codec's
 *   version and stores a new one once `snapshotEvery` (default 100) events were folded past it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { upcast } from './envelope';
import { groupAppendSql, groupCommitter, type GroupCommitOptions } from './group-commit';
import { wakeLocalRelay } from './local-wake';
import {
  ConcurrencyError,
  EventIdConflictError,
  type AggregateStreamOptions,
  type AggregateStreamResult,
  type AllPosition,
  type AppendOptions,
  type AppendOptionsExtra,
  type AppendResult,
  type Decider,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type SnapshotCodec,
  type StoredEvent,
  type UpcasterRegistry,
} from './types';

export interface EventStoreOptions {
  pool: Pool;
  /** the service's Postgres schema: orders, inventory, payments or shipping */
  schema: string;
  upcasters?: UpcasterRegistry;
  /** store a snapshot once this many events were folded past the last one; default 100; 0 disables */
  snapshotEvery?: number;
  /** clock for recorded_at; default: the database's statement_timestamp() */
  now?: () => Date;
  /**
   * When to NOTIFY the relay of new outbox rows. 'after-commit' (default): appends that run in their own
   * transaction send one coalesced pg_notify after they committed (at most one in flight; a crash before it
   * is covered by the relay's polling). 'in-transaction': every append NOTIFYs inside its transaction.
   * Appends in a caller's transaction (`opts.client`) always NOTIFY in the transaction, as their commit is not
   * seen here. Why not always in the transaction: Postgres serialises the commits of transactions that
   * NOTIFY (a global lock held across the commit's WAL flush), so durable concurrent appends with outbox rows
   * lose group commit — bench/eventstore.ts measures both.
   */
  notify?: 'after-commit' | 'in-transaction';
  /**
   * Group commit of concurrent one-event appends in their own transaction (./group-commit.ts). Default
   * { maxInFlight: 2, maxBatch: 100 }; false: every append is its own statement and commit.
   */
  groupCommit?: GroupCommitOptions | false;
}

export const START_POSITION: AllPosition = Object.freeze({ transactionId: '0', position: 0 });

export const outboxChannel = (schema: string): string => `${schema}_outbox`;

export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return `"${schema}"`;
}

const JSON_SNAPSHOT: SnapshotCodec<unknown> = {
  version: 1,
  serialize: (s) => s,
  deserialize: (j) => j,
};

interface EventRow extends QueryResultRow {
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

const EVENT_COLUMNS =
  'global_position, transaction_id::text AS txid, stream_id, version, event_id, event_type, ' +
  'schema_version, data, metadata, recorded_at';

type Mode = 'no_stream' | 'expected' | 'any';

/** the outbox payload of a published event (an EventEnvelope, see envelope.ts) built from an inserted row */
function envelopeSql(row: string, stream: string): string {
  return `jsonb_build_object('eventId', ${row}.event_id, 'streamId', ${stream}, 'version', ${row}.version,
                'type', ${row}.event_type, 'schemaVersion', ${row}.schema_version, 'data', ${row}.data,
                'metadata', ${row}.metadata, 'recordedAt', ${row}.recorded_at)`;
}

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

interface AppendRow {
  global_position: number;
  version: number;
  recorded_at: Date;
}

function modeOf(expected: ExpectedVersion): Mode {
  if (expected === 'any') return 'any';
  if (expected === 'no_stream' || expected === 0) return 'no_stream';
  if (!Number.isInteger(expected) || expected < 0) throw new Error(`invalid expected version ${expected}`);
  return 'expected';
}

export function createEventStore(options: EventStoreOptions): EventStore {
  const { pool, schema, upcasters } = options;
  const s = quoteSchema(schema);
  const snapshotEvery = options.snapshotEvery ?? 100;
  const channel = outboxChannel(schema);
  const notifier = coalescedNotifier(pool, schema, channel);
  const sqlCache = new Map<string, string>();

  const toStored = (r: EventRow): StoredEvent & { transactionId: string } => {
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
  };

  async function readByIds(db: Pool | PoolClient, ids: string[]): Promise<StoredEvent[]> {
    const r = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE event_id = ANY($1::uuid[]) ORDER BY version`,
      [ids],
    );
    return r.rows.map(toStored);
  }

  /**
   * Nothing was written: tells an idempotent retry (every id stored in this stream → the no-op result), an id
   * conflict (EventIdConflictError) and a version conflict (ConcurrencyError) apart.
   */
  async function classify(
    db: Pool | PoolClient,
    streamId: string,
    expected: ExpectedVersion,
    ids: string[],
  ): Promise<AppendResult> {
    const why = await db.query<{
      event_id: string | null;
      stream_id: string | null;
      current_version: number | null;
    }>(
      `SELECT e.event_id, e.stream_id,
              (SELECT coalesce(max(version), 0) FROM ${s}.events WHERE stream_id = $1) AS current_version
       FROM (SELECT 1) one LEFT JOIN ${s}.events e ON e.event_id = ANY($2::uuid[])`,
      [streamId, ids],
    );
    const stored = why.rows.filter((r) => r.event_id !== null);
    const current = why.rows[0]?.current_version ?? 0;
    if (stored.length === ids.length && stored.every((r) => r.stream_id === streamId)) {
      return { appended: false, nextVersion: current, events: await readByIds(db, ids) };
    }
    if (stored.length > 0)
      throw new EventIdConflictError(
        streamId,
        stored.map((r) => r.event_id!),
      );
    throw new ConcurrencyError(streamId, expected, current);
  }

  async function appendOnce(
    streamId: string,
    expected: ExpectedVersion,
    events: NewEvent[],
    opts: AppendOptions & AppendOptionsExtra,
  ): Promise<AppendResult> {
    const mode = modeOf(expected);
    const ids = events.map((e) => e.id ?? randomUUID());
    if (new Set(ids).size !== ids.length)
      throw new Error(`Stream ${streamId}: duplicate event ids in one append`);
    const metadata = opts.metadata ?? {};
    const outbox = opts.outbox ?? [];
    const writesOutbox = outbox.length > 0 || (opts.publish ?? false);
    const notifyInside = writesOutbox && (options.notify === 'in-transaction' || opts.client !== undefined);
    const shape: AppendSqlShape = {
      single: events.length === 1,
      explicitOutbox: outbox.length > 0,
      publish: opts.publish ?? false,
      notify: notifyInside,
      guardIds: opts.client !== undefined,
    };
    const schemaVersions = events.map((e) => e.schemaVersion ?? upcasters?.[e.type]?.currentVersion ?? 1);
    const datas = events.map((e) => JSON.stringify(e.data ?? null));
    const values: unknown[] = [
      streamId,
      events.length,
      typeof expected === 'number' ? expected : 0,
      shape.single ? ids[0] : ids,
      shape.single ? events[0]!.type : events.map((e) => e.type),
      shape.single ? schemaVersions[0] : schemaVersions,
      shape.single ? datas[0] : datas,
      JSON.stringify(metadata),
      options.now ? options.now() : null,
    ];
    if (shape.explicitOutbox) {
      values.push(
        outbox.map((m) => m.id),
        outbox.map((m) => m.topic),
        outbox.map((m) => m.aggregateId),
        outbox.map((m) => JSON.stringify(m.payload ?? null)),
        outbox.map((m) => JSON.stringify(m.metadata ?? metadata)),
      );
    }
    if (shape.notify) values.push(channel);
    const name = `es_append_${schema}_${mode}_${shape.single ? 's' : 'b'}${shape.explicitOutbox ? 'o' : ''}${shape.publish ? 'p' : ''}${shape.notify ? 'n' : ''}${shape.guardIds ? 'g' : ''}`;
    const db = opts.client ?? pool;
    let text = sqlCache.get(name);
    if (text === undefined) sqlCache.set(name, (text = appendSql(schema, mode, shape)));
    const { rows } = await db.query<AppendRow>({ name, text, values });
    if (rows.length === 0) return classify(db, streamId, expected, ids);
    if (writesOutbox && !notifyInside) notifier.poke();
    return written(streamId, ids, events, schemaVersions, datas, metadata, rows);
  }

  /** the result of an append whose rows were inserted */
  function written(
    streamId: string,
    ids: string[],
    events: NewEvent[],
    schemaVersions: number[],
    datas: string[],
    metadata: EventMetadata,
    rows: AppendRow[],
  ): AppendResult {
    rows.sort((a, b) => a.version - b.version);
    return {
      appended: true,
      nextVersion: rows[rows.length - 1]!.version,
      events: rows.map((r, i) => ({
        globalPosition: r.global_position,
        streamId,
        version: r.version,
        id: ids[i]!,
        type: events[i]!.type,
        schemaVersion: schemaVersions[i]!,
        data: JSON.parse(datas[i]!) as unknown,
        metadata,
        recordedAt: r.recorded_at,
      })),
    };
  }

  const schemaVersionOf = (e: NewEvent): number =>
    e.schemaVersion ?? upcasters?.[e.type]?.currentVersion ?? 1;

  /** appendOnce, with a unique-index error turned into the classification (or ConcurrencyError) */
  async function appendChecked(
    streamId: string,
    expected: ExpectedVersion,
    events: NewEvent[],
    opts: AppendOptions & AppendOptionsExtra,
  ): Promise<AppendResult> {
    try {
      return await appendOnce(streamId, expected, events, opts);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // an outbox message id stored before is the caller's mistake, not a retry of this append
      if ((err as { constraint?: string }).constraint === 'outbox_message_id_key') throw err;
      // a lost race, or an id already stored (own transaction: the statement rolled back as a whole); in a
      // caller's transaction (only a batch raises this there), which Postgres has now aborted, the caller
      // must retry
      if (opts.client) throw new ConcurrencyError(streamId, expected, -1);
      // (an event without an id had a fresh random one: it cannot be stored, so the batch is no retry)
      return classify(
        pool,
        streamId,
        expected,
        events.map((e) => e.id ?? randomUUID()),
      );
    }
  }

  interface GroupJob {
    streamId: string;
    expected: number;
    event: NewEvent & { id: string };
    opts: AppendOptions & AppendOptionsExtra;
  }
  const group = options.groupCommit ?? {};
  const groupSql = groupAppendSql(schema, s, envelopeSql);
  const grouped =
    group === false
      ? undefined
      : groupCommitter<GroupJob, AppendResult>({
          maxInFlight: group.maxInFlight ?? 2,
          maxBatch: group.maxBatch ?? 100,
          key: (j) => j.streamId,
          one: (j) => appendChecked(j.streamId, j.expected, [j.event], j.opts),
          many: async (jobs) => {
            const datas = jobs.map((j) => JSON.stringify(j.event.data ?? null));
            const metas = jobs.map((j) => j.opts.metadata ?? {});
            const svs = jobs.map((j) => schemaVersionOf(j.event));
            const { rows } = await pool.query<AppendRow & { stream_id: string }>({
              name: `es_group_append_${schema}`,
              text: groupSql,
              values: [
                `[${jobs
                  .map(
                    (j, i) =>
                      `{"stream_id":${JSON.stringify(j.streamId)},"expected":${j.expected},"id":${JSON.stringify(j.event.id)},` +
                      `"type":${JSON.stringify(j.event.type)},"sv":${svs[i]!},"data":${datas[i]!},` +
                      `"meta":${JSON.stringify(metas[i])},"publish":${j.opts.publish === true}}`,
                  )
                  .join(',')}]`,
                options.now ? options.now() : null,
              ],
            });
            const byStream = new Map(rows.map((r) => [r.stream_id, r]));
            if (jobs.some((j) => j.opts.publish && byStream.has(j.streamId))) notifier.poke();
            return jobs.map((j, i) => {
              const row = byStream.get(j.streamId);
              return (
                row && written(j.streamId, [j.event.id], [j.event], [svs[i]!], [datas[i]!], metas[i]!, [row])
              );
            });
          },
        });

  const store: EventStore = {
    schema,

    async append(streamId, expected, events, opts = {}) {
      if (events.length === 0) {
        const version = await store.streamVersion(streamId);
        if (typeof expected === 'number' && expected !== version) {
          throw new ConcurrencyError(streamId, expected, version);
        }
        return { appended: false, nextVersion: version, events: [] };
      }
      if (
        grouped &&
        events.length === 1 &&
        opts.client === undefined &&
        !(opts.outbox?.length ?? 0) &&
        options.notify !== 'in-transaction' &&
        expected !== 'any'
      ) {
        const version = modeOf(expected) === 'no_stream' ? 0 : (expected as number);
        const event = events[0]!;
        return grouped({
          streamId,
          expected: version,
          event: { ...event, id: event.id ?? randomUUID() },
          opts,
        });
      }
      // 'any' has no expected version to miss: an append that lost a race to the stream tries again (unless
      // the race aborted the caller's transaction: a batch there fails on the unique index)
      const mayRetry = expected === 'any' && !(opts.client && events.length > 1);
      const withIds = events.map((e) => (e.id ? e : { ...e, id: randomUUID() }));
      for (let attempt = 1; ; attempt++) {
        try {
          return await appendChecked(streamId, expected, withIds, opts);
        } catch (err) {
          if (!mayRetry || !(err instanceof ConcurrencyError) || attempt >= 10) throw err;
        }
      }
    },

    async readStream(streamId, opts: ReadStreamOptions = {}) {
      const r = await pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM ${s}.events
         WHERE stream_id = $1 AND version >= $2 AND version <= $3
           AND ($4::timestamptz IS NULL OR version <= (
             SELECT coalesce(max(version), 0) FROM ${s}.events WHERE stream_id = $1 AND recorded_at <= $4))
         ORDER BY version`,
        [streamId, opts.fromVersion ?? 1, opts.toVersion ?? Number.MAX_SAFE_INTEGER, opts.asOf ?? null],
      );
      return r.rows.map(toStored);
    },

    async readAll(opts: ReadAllOptions = {}): Promise<ReadAllResult> {
      const after = opts.after ?? START_POSITION;
      const r = await pool.query<EventRow & { horizon: string }>({
        name: `es_read_all_${schema}`,
        text: `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
          SELECT h.xmin::text AS horizon, e.*
          FROM h LEFT JOIN LATERAL (
            SELECT ${EVENT_COLUMNS} FROM ${s}.events
            WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id < h.xmin
            ORDER BY transaction_id, global_position
            LIMIT $3) e ON true`,
        values: [after.transactionId, after.position, opts.limit ?? 1000],
      });
      const horizon = r.rows[0]!.horizon;
      const events = r.rows.filter((x) => x.event_id !== null).map(toStored);
      const last = events[events.length - 1];
      return {
        events,
        next: last ? { transactionId: last.transactionId, position: last.globalPosition } : after,
        horizon,
      };
    },

    async aggregateStream<C, E extends { type: string }, S>(
      streamId: string,
      decider: Decider<C, E, S>,
      opts: AggregateStreamOptions<S> = {},
    ): Promise<AggregateStreamResult<S>> {
      const fold = (state: S, events: StoredEvent[]): S =>
        events.reduce((st, e) => decider.evolve(st, e as unknown as E), state);
      if (opts.asOf !== undefined || opts.toVersion !== undefined) {
        const events = await store.readStream(streamId, {
          ...(opts.asOf ? { asOf: opts.asOf } : {}),
          ...(opts.toVersion !== undefined ? { toVersion: opts.toVersion } : {}),
        });
        return {
          state: fold(decider.initialState(), events),
          version: events.length ? events[events.length - 1]!.version : 0,
          snapshotVersion: 0,
        };
      }
      const codec = (opts.snapshot ?? JSON_SNAPSHOT) as SnapshotCodec<S>;
      let state = decider.initialState();
      let from = 0;
      let events: StoredEvent[];
      if (snapshotEvery > 0) {
        // the newest snapshot and the events after it in one round trip: the snapshot (if any) is the row
        // flagged is_snapshot, its state in `data` and its version in `version`
        const r = await pool.query<EventRow & { is_snapshot: boolean }>({
          name: `es_aggregate_${schema}`,
          text: `WITH snap AS MATERIALIZED (
              SELECT version, state FROM ${s}.snapshots WHERE stream_id = $1 AND snapshot_version = $2
              ORDER BY version DESC LIMIT 1)
            (SELECT true AS is_snapshot, NULL::bigint AS global_position, NULL::text AS txid, $1::text AS stream_id,
                    version, NULL::uuid AS event_id, NULL::text AS event_type, NULL::int AS schema_version,
                    state AS data, NULL::jsonb AS metadata, NULL::timestamptz AS recorded_at
             FROM snap)
            UNION ALL
            (SELECT false, ${EVENT_COLUMNS} FROM ${s}.events
             WHERE stream_id = $1 AND version > coalesce((SELECT version FROM snap), 0))`,
          values: [streamId, codec.version],
        });
        const snap = r.rows.find((x) => x.is_snapshot);
        if (snap) {
          state = codec.deserialize(snap.data);
          from = snap.version;
        }
        events = r.rows
          .filter((x) => !x.is_snapshot)
          .sort((a, b) => a.version - b.version)
          .map(toStored);
      } else {
        events = await store.readStream(streamId, { fromVersion: 1 });
      }
      state = fold(state, events);
      const version = events.length ? events[events.length - 1]!.version : from;
      if (snapshotEvery > 0 && version - from >= snapshotEvery) {
        await pool.query(
          `INSERT INTO ${s}.snapshots (stream_id, snapshot_version, version, state) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [streamId, codec.version, version, JSON.stringify(codec.serialize(state))],
        );
      }
      return { state, version, snapshotVersion: from };
    },

    async streamVersion(streamId) {
      const r = await pool.query<{ version: number }>(
        `SELECT coalesce(max(version), 0) AS version FROM ${s}.events WHERE stream_id = $1`,
        [streamId],
      );
      return r.rows[0]!.version;
    },
  };
  return store;
}

/**
 * Sends pg_notify(channel) after commits: one NOTIFY in flight at most; pokes that arrive meanwhile cause
 * exactly one more, which starts after them, so every poke is followed by a NOTIFY sent after it.
 */
/**
 * After-commit wake-up of the relay: directly when this process's relay of the pool and schema leads
 * (local-wake.ts), else one coalesced NOTIFY (at most one in flight; a poke meanwhile sends one more after it).
 */
function coalescedNotifier(pool: Pool, schema: string, channel: string): { poke: () => void } {
  let inFlight = false;
  let again = false;
  const poke = (): void => {
    if (wakeLocalRelay(pool, schema)) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    pool
      .query("SELECT pg_notify($1, '')", [channel])
      .catch(() => undefined) // the relay polls as well
      .finally(() => {
        inFlight = false;
        if (again) {
          again = false;
          poke();
        }
      });
  };
  return { poke };
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

// ---------------------------------------------------------------------------------------------------------

const ID_NAMESPACE = Buffer.from('6f3c1b0e5a4d4c2e9b7f0a1d2c3e4f50', 'hex');

/**
 * A uuid (version-5 layout: SHA-1 of a fixed namespace and `key#index`) that is the same on every retry, so a
 * retried activity appends the same event ids and its append becomes a no-op.
 */
export function deterministicEventId(key: string, index: number): string {
  const h = createHash('sha1').update(ID_NAMESPACE).update(`${key}#${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export interface HandleCommandOptions<E> {
  metadata?: EventMetadata;
  /** explicit ids for the decided events (by index) */
  eventIds?: string[];
  /** derive the ids with deterministicEventId(idempotencyKey, index) */
  idempotencyKey?: string;
  /** integration events to write with the append (a function receives the decided events) */
  outbox?: AppendOptions['outbox'] | ((events: E[]) => NonNullable<AppendOptions['outbox']>);
  /** mirror the appended events to the outbox (see envelope.ts) */
  publish?: boolean;
  /** retries after a ConcurrencyError; default 5 */
  maxRetries?: number;
}

export interface HandleCommandResult<S> {
  events: StoredEvent[];
  state: S;
  version: number;
  appended: boolean;
}

/**
 * load → decide → append with the loaded version as the expected version; on a ConcurrencyError, reload and
 * decide again (up to maxRetries). Errors thrown by decide (business refusals) propagate unchanged.
 */
export async function handleCommand<C, E extends { type: string; data?: unknown }, S>(
  store: EventStore,
  streamId: string,
  decider: Decider<C, E, S>,
  command: C,
  opts: HandleCommandOptions<E> = {},
): Promise<HandleCommandResult<S>> {
  const maxRetries = opts.maxRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    const { state, version } = await store.aggregateStream(streamId, decider);
    const decided = decider.decide(command, state);
    if (decided.length === 0) return { events: [], state, version, appended: false };
    const ids =
      opts.eventIds ??
      (opts.idempotencyKey !== undefined
        ? decided.map((_, i) => deterministicEventId(opts.idempotencyKey!, i))
        : undefined);
    const events: NewEvent[] = decided.map((e, i) => ({
      type: e.type,
      data: e.data,
      ...(ids?.[i] ? { id: ids[i] } : {}),
    }));
    const outbox = typeof opts.outbox === 'function' ? opts.outbox(decided) : opts.outbox;
    try {
      const r = await store.append(streamId, version === 0 ? 'no_stream' : version, events, {
        ...(opts.metadata ? { metadata: opts.metadata } : {}),
        ...(outbox ? { outbox } : {}),
        ...(opts.publish ? { publish: true } : {}),
      });
      if (!r.appended) {
        const now = await store.aggregateStream(streamId, decider);
        return { events: r.events, state: now.state, version: now.version, appended: false };
      }
      return {
        events: r.events,
        state: decided.reduce(decider.evolve, state),
        version: r.nextVersion,
        appended: true,
      };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= maxRetries) throw err;
      await new Promise((res) => setTimeout(res, Math.random() * 10 * (attempt + 1)));
    }
  }
}

/**
 * Writes outbox messages (e.g. outboxFor(result.events, schema)) with the caller's client, in the caller's
 * transaction, and wakes the relay on commit. append's `outbox`/`publish` options do the same in the append.
 */
export async function writeOutbox(
  client: PoolClient,
  schema: string,
  messages: NonNullable<AppendOptions['outbox']>,
): Promise<void> {
  if (messages.length === 0) return;
  const s = quoteSchema(schema);
  await client.query(
    `WITH w AS (
       INSERT INTO ${s}.outbox (message_id, topic, aggregate_id, payload, metadata)
       SELECT o.id, o.topic, o.agg, o.payload, o.meta
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[]) WITH ORDINALITY
            AS o(id, topic, agg, payload, meta, ord)
       ORDER BY o.ord RETURNING 1)
     SELECT pg_notify($6, ''), (SELECT count(*) FROM w)`,
    [
      messages.map((m) => m.id),
      messages.map((m) => m.topic),
      messages.map((m) => m.aggregateId),
      messages.map((m) => JSON.stringify(m.payload ?? null)),
      messages.map((m) => JSON.stringify(m.metadata ?? {})),
      outboxChannel(schema),
    ],
  );
}
