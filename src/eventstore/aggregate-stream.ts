/**
 * An aggregate's state: its stream folded through the decider's evolve, from the newest snapshot when there
 * is one (snapshot and later events in one round trip), storing a new snapshot every `snapshotEvery` events.
 * As of an instant or a version it folds from the first event and uses no snapshot.
 */
import type { Decider } from '../domain/decider';
import type { StoreContext } from './context';
import { readStream } from './read-stream';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './sql';
import type { AggregateStreamOptions, AggregateStreamResult, SnapshotCodec, StoredEvent } from './types';

const JSON_SNAPSHOT: SnapshotCodec<unknown> = {
  version: 1,
  serialize: (s) => s,
  deserialize: (j) => j,
};

export async function aggregateStream<C, E extends { type: string }, S>(
  ctx: StoreContext,
  streamId: string,
  decider: Decider<C, E, S>,
  opts: AggregateStreamOptions<S> = {},
): Promise<AggregateStreamResult<S>> {
  const fold = (state: S, events: StoredEvent[]): S =>
    events.reduce((st, e) => decider.evolve(st, e as unknown as E), state);
  if (opts.asOf !== undefined || opts.toVersion !== undefined) {
    const events = await readStream(ctx, streamId, {
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
  const start =
    ctx.snapshotEvery > 0
      ? await snapshotAndEvents(ctx, streamId, codec)
      : { snapshot: undefined, events: await readStream(ctx, streamId, { fromVersion: 1 }) };
  const from = start.snapshot?.version ?? 0;
  const state = fold(start.snapshot?.state ?? decider.initialState(), start.events);
  const version = start.events.length ? start.events[start.events.length - 1]!.version : from;
  if (ctx.snapshotEvery > 0 && version - from >= ctx.snapshotEvery) {
    await ctx.pool.query(
      `INSERT INTO ${ctx.quoted}.snapshots (stream_id, snapshot_version, version, state) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [streamId, codec.version, version, JSON.stringify(codec.serialize(state))],
    );
  }
  return { state, version, snapshotVersion: from };
}

/**
 * The newest snapshot of the codec's version and the events after it in one round trip: the snapshot (if
 * any) is the row flagged is_snapshot, its state in `data` and its version in `version`.
 */
async function snapshotAndEvents<S>(
  ctx: StoreContext,
  streamId: string,
  codec: SnapshotCodec<S>,
): Promise<{ snapshot: { state: S; version: number } | undefined; events: StoredEvent[] }> {
  const r = await ctx.pool.query<EventRow & { is_snapshot: boolean }>({
    name: `es_aggregate_${ctx.schema}`,
    text: `WITH snap AS MATERIALIZED (
        SELECT version, state FROM ${ctx.quoted}.snapshots WHERE stream_id = $1 AND snapshot_version = $2
        ORDER BY version DESC LIMIT 1)
      (SELECT true AS is_snapshot, NULL::bigint AS global_position, NULL::text AS txid, $1::text AS stream_id,
              version, NULL::uuid AS event_id, NULL::text AS event_type, NULL::int AS schema_version,
              state AS data, NULL::jsonb AS metadata, NULL::timestamptz AS recorded_at
       FROM snap)
      UNION ALL
      (SELECT false, ${EVENT_COLUMNS} FROM ${ctx.quoted}.events
       WHERE stream_id = $1 AND version > coalesce((SELECT version FROM snap), 0))`,
    values: [streamId, codec.version],
  });
  const snap = r.rows.find((x) => x.is_snapshot);
  const events = r.rows
    .filter((x) => !x.is_snapshot)
    .sort((a, b) => a.version - b.version)
    .map((row) => toStoredEvent(row, ctx.upcasters));
  return {
    snapshot: snap ? { state: codec.deserialize(snap.data), version: snap.version } : undefined,
    events,
  };
}
