/**
 * Group commit for one-event appends (see store.ts).
 *
 * Every append in its own transaction pays a commit, and a durable commit waits for a WAL flush. Postgres
 * already shares a flush between commits that arrive together, but each statement still costs its own round
 * trip, parse/bind/execute and commit. When many appends arrive at once (a worker runs many activities
 * concurrently), this writes those that queue up behind earlier ones with one multi-row statement instead:
 *
 * - at most `maxInFlight` append statements of this store run at a time; an append that finds a free slot
 *   and an empty queue runs alone, at once (no waiting for company: a lone writer sees no added latency);
 * - the others queue; each free slot takes up to `maxBatch` queued appends to distinct streams (a second
 *   append to a stream waits for the next batch, so a batch never holds two appends of one stream);
 * - the batch statement checks each row's expected version like the one-event statement, writes the rows
 *   that pass, in stream order (two batches lock index entries in the same order, so they cannot deadlock
 *   each other), and commits once;
 * - a row the batch did not write (its expected version is not the stream's) runs again alone through the
 *   normal path, which classifies it (ConcurrencyError, or an idempotent retry); if the batch statement fails
 *   as a whole (an event id stored before, a race lost on the (stream_id, version) index, an outbox id
 *   conflict, a deadlock with a caller's transaction), every append of it runs alone, so an error reaches
 *   only the append that caused it. (Those failures are rare, so the batch does without ON CONFLICT DO
 *   NOTHING, whose speculative insertion cost every row about a tenth of its time.)
 *
 * Each caller's promise settles after the commit that holds its event: durability is that of a single append.
 */
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

/**
 * The batch statement: one event per row, rows of distinct streams, all in $1, a JSON array of
 * { stream_id, expected, id, type, sv, data, meta, publish } (one parameter read by jsonb_to_recordset: its row
 * estimate does not depend on the batch size, so Postgres settles on one generic plan instead of planning every
 * batch anew, as it does for unnest of array parameters); $2 recorded_at (null: statement_timestamp()).
 * `quoted` is the schema as an identifier, `envelope` the outbox payload expression (store.ts). Returns the
 * written rows.
 */
export function groupAppendSql(
  schema: string,
  quoted: string,
  envelope: (row: string, stream: string) => string,
): string {
  const s = quoted;
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
  SELECT i.event_id, '${schema}.' || i.event_type, i.stream_id, ${envelope('i', 'i.stream_id')}, i.metadata
  FROM ins i JOIN u ON u.stream_id = i.stream_id
  WHERE u.publish
  ORDER BY i.stream_id
  RETURNING 1
)
SELECT i.stream_id, i.global_position, i.version, i.recorded_at, (SELECT count(*) FROM obp)::int AS published
FROM ins i`;
}
