/**
 * Append: one SQL statement per append (append-sql.ts), checked against the expected version by the unique
 * (stream_id, version) index. When it writes nothing, a second query tells an idempotent retry, an id
 * conflict and a version conflict apart. README.md ("Appending") has the whole argument.
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { appendSql, modeOf, type AppendRow, type AppendSqlShape } from './append-sql';
import { conflictRetryDelayMs, pause } from './conflict-retry';
import { schemaVersionOf, type StoreContext } from './context';
import type { GroupedAppend } from './group-commit';
import { readStreamVersion } from './read-stream';
import { EVENT_COLUMNS, isUniqueViolation, outboxChannel, toStoredEvent, type EventRow } from './sql';
import {
  ConcurrencyError,
  EventIdConflictError,
  type AppendOptions,
  type AppendOptionsExtra,
  type AppendResult,
  type EventMetadata,
  type ExpectedVersion,
  type NewEvent,
  type StoredEvent,
} from './types';

export type AppendOpts = AppendOptions & AppendOptionsExtra;

/**
 * The store's append. Concurrent one-event appends in their own transaction go through `grouped` (group
 * commit); an 'any' append that lost a race to the stream tries again under the conflict retry policy.
 */
export async function append(
  ctx: StoreContext,
  grouped: GroupedAppend | undefined,
  streamId: string,
  expected: ExpectedVersion,
  events: NewEvent[],
  opts: AppendOpts = {},
): Promise<AppendResult> {
  if (events.length === 0) {
    const version = await readStreamVersion(ctx, streamId);
    if (typeof expected === 'number' && expected !== version) {
      throw new ConcurrencyError(streamId, expected, version);
    }
    return { appended: false, nextVersion: version, events: [] };
  }
  const event = events[0]!;
  if (
    grouped &&
    events.length === 1 &&
    opts.client === undefined &&
    !(opts.outbox?.length ?? 0) &&
    !ctx.notifyInTransaction &&
    expected !== 'any'
  ) {
    const version = modeOf(expected) === 'no_stream' ? 0 : (expected as number);
    return grouped({ streamId, expected: version, event: { ...event, id: event.id ?? randomUUID() }, opts });
  }
  // 'any' has no expected version to miss: an append that lost a race to the stream tries again (unless
  // the race aborted the caller's transaction: a batch there fails on the unique index)
  const mayRetry = expected === 'any' && !(opts.client && events.length > 1);
  const withIds = events.map((e) => (e.id ? e : { ...e, id: randomUUID() }));
  for (let conflicts = 0; ;) {
    try {
      return await appendChecked(ctx, streamId, expected, withIds, opts);
    } catch (err) {
      const wait =
        mayRetry && err instanceof ConcurrencyError ? conflictRetryDelayMs(++conflicts) : undefined;
      if (wait === undefined) throw err;
      await pause(wait);
    }
  }
}

/** appendOnce, with a unique-index error turned into the classification (or ConcurrencyError) */
export async function appendChecked(
  ctx: StoreContext,
  streamId: string,
  expected: ExpectedVersion,
  events: NewEvent[],
  opts: AppendOpts,
): Promise<AppendResult> {
  try {
    return await appendOnce(ctx, streamId, expected, events, opts);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // an outbox message id stored before is the caller's mistake, not a retry of this append
    if ((err as { constraint?: string }).constraint === 'outbox_message_id_key') throw err;
    // a lost race, or an id already stored (own transaction: the statement rolled back as a whole); in a
    // caller's transaction (only a batch raises this there), which Postgres has now aborted, the caller
    // must retry
    if (opts.client || ctx.inCallerTransaction) throw new ConcurrencyError(streamId, expected, -1);
    // (an event without an id had a fresh random one: it cannot be stored, so the batch is no retry)
    return classify(
      ctx,
      ctx.pool,
      streamId,
      expected,
      events.map((e) => e.id ?? randomUUID()),
    );
  }
}

/** the one statement: builds its shape and parameters, runs it prepared, classifies an empty result */
async function appendOnce(
  ctx: StoreContext,
  streamId: string,
  expected: ExpectedVersion,
  events: NewEvent[],
  opts: AppendOpts,
): Promise<AppendResult> {
  const mode = modeOf(expected);
  const ids = events.map((e) => e.id ?? randomUUID());
  if (new Set(ids).size !== ids.length)
    throw new Error(`Stream ${streamId}: duplicate event ids in one append`);
  const metadata = opts.metadata ?? {};
  const outbox = opts.outbox ?? [];
  const writesOutbox = outbox.length > 0 || (opts.publish ?? false);
  const notifyInside = writesOutbox && (ctx.notifyInTransaction || opts.client !== undefined);
  const shape: AppendSqlShape = {
    single: events.length === 1,
    explicitOutbox: outbox.length > 0,
    publish: opts.publish ?? false,
    notify: notifyInside,
    guardIds: opts.client !== undefined,
  };
  const schemaVersions = events.map((e) => schemaVersionOf(ctx, e));
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
    ctx.now ? ctx.now() : null,
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
  if (shape.notify) values.push(outboxChannel(ctx.schema));
  const name = `es_append_${ctx.schema}_${mode}_${shape.single ? 's' : 'b'}${shape.explicitOutbox ? 'o' : ''}${shape.publish ? 'p' : ''}${shape.notify ? 'n' : ''}${shape.guardIds ? 'g' : ''}`;
  const db = opts.client ?? ctx.pool;
  let text = ctx.sqlCache.get(name);
  if (text === undefined) ctx.sqlCache.set(name, (text = appendSql(ctx.schema, mode, shape)));
  const { rows } = await db.query<AppendRow>({ name, text, values });
  if (rows.length === 0) return classify(ctx, db, streamId, expected, ids);
  if (writesOutbox && !notifyInside) ctx.wakeRelay();
  return written(streamId, ids, events, schemaVersions, datas, metadata, rows);
}

/** the result of an append whose rows were inserted (also the group commit's, per row) */
export function written(
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

/**
 * Nothing was written: tells an idempotent retry (every id stored in this stream → the no-op result), an id
 * conflict (EventIdConflictError) and a version conflict (ConcurrencyError) apart.
 */
async function classify(
  ctx: StoreContext,
  db: Pool | PoolClient,
  streamId: string,
  expected: ExpectedVersion,
  ids: string[],
): Promise<AppendResult> {
  const s = ctx.quoted;
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
    return { appended: false, nextVersion: current, events: await readByIds(ctx, db, ids) };
  }
  if (stored.length > 0)
    throw new EventIdConflictError(
      streamId,
      stored.map((r) => r.event_id!),
    );
  throw new ConcurrencyError(streamId, expected, current);
}

async function readByIds(ctx: StoreContext, db: Pool | PoolClient, ids: string[]): Promise<StoredEvent[]> {
  const r = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${ctx.quoted}.events WHERE event_id = ANY($1::uuid[]) ORDER BY version`,
    [ids],
  );
  return r.rows.map((row) => toStoredEvent(row, ctx.upcasters));
}
