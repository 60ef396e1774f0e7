/**
 * Group commit of one-event appends: those that queue up behind the append statements in flight are written
 * by one multi-row statement and one commit, and each caller still gets its own result or error. Why and how
 * it stays correct: README.md ("Group commit").
 */
import type { AppendRow } from './append-sql';
import { written, type AppendOpts } from './append';
import { schemaVersionOf, type StoreContext } from './context';
import { envelopeSql, quoteSchema } from './sql';
import type { AppendResult, NewEvent } from './types';

export interface GroupCommitOptions {
  /** append statements of one store running at a time; default 2 */
  maxInFlight?: number;
  /** appends per batch statement; default 100 */
  maxBatch?: number;
}

interface Queued<J, R> {
  job: J;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Generic part: `one` runs a job alone; `many` runs jobs of distinct keys in one statement and returns, per
 * job, its result or undefined when it was not written (it then runs alone).
 */
export function groupCommitter<J, R>(o: {
  maxInFlight: number;
  maxBatch: number;
  key: (job: J) => string;
  one: (job: J) => Promise<R>;
  many: (jobs: J[]) => Promise<(R | undefined)[]>;
}): (job: J) => Promise<R> {
  let inFlight = 0;
  let queue: Queued<J, R>[] = [];

  const settle = (q: Queued<J, R>): Promise<void> => o.one(q.job).then(q.resolve, q.reject);

  async function run(batch: Queued<J, R>[]): Promise<void> {
    if (batch.length === 1) return settle(batch[0]!);
    let results: (R | undefined)[];
    try {
      results = await o.many(batch.map((q) => q.job));
    } catch {
      results = [];
    }
    const alone: Promise<void>[] = [];
    batch.forEach((q, i) => {
      const r = results[i];
      if (r === undefined) alone.push(settle(q));
      else q.resolve(r);
    });
    await Promise.all(alone);
  }

  function take(): Queued<J, R>[] {
    const batch: Queued<J, R>[] = [];
    const keys = new Set<string>();
    const rest: Queued<J, R>[] = [];
    for (const q of queue) {
      const k = o.key(q.job);
      if (batch.length < o.maxBatch && !keys.has(k)) {
        keys.add(k);
        batch.push(q);
      } else rest.push(q);
    }
    queue = rest;
    return batch;
  }

  function done(): void {
    inFlight--;
    pump();
  }

  function pump(): void {
    while (inFlight < o.maxInFlight && queue.length > 0) {
      const batch = take();
      inFlight++;
      void run(batch).then(done, done);
    }
  }

  return (job) => {
    if (inFlight < o.maxInFlight && queue.length === 0) {
      // the common case for a lone writer: run it alone at once, without the queue's bookkeeping
      inFlight++;
      const p = o.one(job);
      void p.then(done, done);
      return p;
    }
    return new Promise<R>((resolve, reject) => {
      queue.push({ job, resolve, reject });
      pump();
    });
  };
}

/** A one-event append in its own transaction with a numeric expected version (0: a new stream). */
export interface GroupJob {
  streamId: string;
  expected: number;
  event: NewEvent & { id: string };
  opts: AppendOpts;
}

export type GroupedAppend = (job: GroupJob) => Promise<AppendResult>;

/**
 * The store's group commit: `alone` is the normal one-event append (append.ts appendChecked), which also
 * classifies what a batch did not write.
 */
export function groupedAppend(
  ctx: StoreContext,
  options: Required<GroupCommitOptions>,
  alone: (job: GroupJob) => Promise<AppendResult>,
): GroupedAppend {
  const text = groupAppendSql(ctx.schema);
  return groupCommitter<GroupJob, AppendResult>({
    ...options,
    key: (j) => j.streamId,
    one: alone,
    many: (jobs) => appendBatch(ctx, text, jobs),
  });
}

/** one batch statement; per job its result, or undefined when its row was not written */
async function appendBatch(
  ctx: StoreContext,
  text: string,
  jobs: GroupJob[],
): Promise<(AppendResult | undefined)[]> {
  const datas = jobs.map((j) => JSON.stringify(j.event.data ?? null));
  const metas = jobs.map((j) => j.opts.metadata ?? {});
  const svs = jobs.map((j) => schemaVersionOf(ctx, j.event));
  const rowsJson = jobs.map(
    (j, i) =>
      `{"stream_id":${JSON.stringify(j.streamId)},"expected":${j.expected},"id":${JSON.stringify(j.event.id)},` +
      `"type":${JSON.stringify(j.event.type)},"sv":${svs[i]!},"data":${datas[i]!},` +
      `"meta":${JSON.stringify(metas[i])},"publish":${j.opts.publish === true}}`,
  );
  const { rows } = await ctx.pool.query<AppendRow & { stream_id: string }>({
    name: `es_group_append_${ctx.schema}`,
    text,
    values: [`[${rowsJson.join(',')}]`, ctx.now ? ctx.now() : null],
  });
  const byStream = new Map(rows.map((r) => [r.stream_id, r]));
  if (jobs.some((j) => j.opts.publish && byStream.has(j.streamId))) ctx.wakeRelay();
  return jobs.map((j, i) => {
    const row = byStream.get(j.streamId);
    return row && written(j.streamId, [j.event.id], [j.event], [svs[i]!], [datas[i]!], metas[i]!, [row]);
  });
}

/**
 * The batch statement: one event per row, rows of distinct streams, all in $1, a JSON array of
 * { stream_id, expected, id, type, sv, data, meta, publish } (one parameter read by jsonb_to_recordset: its row
 * estimate does not depend on the batch size, so Postgres settles on one generic plan instead of planning every
 * batch anew, as it does for unnest of array parameters); $2 recorded_at (null: statement_timestamp()).
 * Returns the written rows.
 */
export function groupAppendSql(schema: string): string {
  const s = quoteSchema(schema);
  return `WITH u AS MATERIALIZED (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS u(stream_id text, expected bigint, id uuid, type text, sv int, data jsonb, meta jsonb, publish boolean)
),
ins AS (
  INSERT INTO ${s}.events (stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at)
  SELECT u.stream_id, u.expected + 1, u.id, u.type, u.sv, u.data, u.meta, coalesce($2::timestamptz, statement_timestamp())
  FROM u
  WHERE u.expected = (SELECT coalesce(max(version), 0) FROM ${s}.events e WHERE e.stream_id = u.stream_id)
  ORDER BY u.stream_id
  RETURNING global_position, stream_id, version, recorded_at, event_id, event_type, schema_version, data, metadata
),
obp AS (
  INSERT INTO ${s}.outbox (message_id, topic, aggregate_id, payload, metadata)
  SELECT i.event_id, '${schema}.' || i.event_type, i.stream_id, ${envelopeSql('i', 'i.stream_id')}, i.metadata
  FROM ins i JOIN u ON u.stream_id = i.stream_id
  WHERE u.publish
  ORDER BY i.stream_id
  RETURNING 1
)
SELECT i.stream_id, i.global_position, i.version, i.recorded_at, (SELECT count(*) FROM obp)::int AS published
FROM ins i`;
}
