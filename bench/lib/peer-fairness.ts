/**
 * Checks, before the event store and its peer are timed, that they are compared on equal terms: each
 * refuses an append at a stale expected version (both optimistic concurrency checks are on), and both
 * stored the same event data and metadata. The pool size and the server (so its durability settings) are
 * shared by construction in bench/eventstore.ts and reported with the result. Throws when a check fails.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Pool } from 'pg';
import type { createEventStore } from '../../src/eventstore/store';
import type { EmmettPeer, PeerEvent } from './emmett-peer';

/** true when the append fails with a version conflict (ours: ConcurrencyError, Emmett's: ExpectedVersionConflictError) */
async function refused(append: () => Promise<unknown>): Promise<boolean> {
  try {
    await append();
    return false;
  } catch (err) {
    return err instanceof Error && /Concurrency|VersionConflict/.test(`${err.name} ${err.constructor.name}`);
  }
}

export async function checkPeerFairness(deps: {
  db: Pool;
  store: ReturnType<typeof createEventStore>;
  emmett: EmmettPeer;
  event: PeerEvent;
}): Promise<{ staleVersionRefused: { ours: boolean; emmett: boolean }; samePayload: boolean }> {
  const { db, store, emmett, event } = deps;
  const tag = randomUUID().slice(0, 8);
  const ours = `fair-${tag}-o`;
  const theirs = `fair-${tag}-e`;
  const e = [{ type: event.type, data: event.data }];
  await store.append(ours, 0, e, { metadata: event.metadata });
  await emmett.append(theirs, 0, event);
  const staleVersionRefused = {
    ours: await refused(() => store.append(ours, 0, e, { metadata: event.metadata })),
    emmett: await refused(() => emmett.append(theirs, 0, event)),
  };
  const oursStored = await db.query<{ data: unknown; metadata: unknown }>(
    'SELECT data, metadata FROM orders.events WHERE stream_id = $1',
    [ours],
  );
  const theirsStored = await emmett.stored(theirs);
  const samePayload =
    oursStored.rows.length === 1 &&
    theirsStored.length === 1 &&
    isDeepStrictEqual(oursStored.rows[0]!.data, theirsStored[0]!.data) &&
    isDeepStrictEqual(oursStored.rows[0]!.data, event.data) &&
    isDeepStrictEqual(oursStored.rows[0]!.metadata, theirsStored[0]!.metadata);
  if (!staleVersionRefused.ours || !staleVersionRefused.emmett || !samePayload) {
    throw new Error(
      `unfair comparison: stale version refused ${JSON.stringify(staleVersionRefused)}, same payload ${samePayload} ` +
        `(ours ${JSON.stringify(oursStored.rows)}, Emmett ${JSON.stringify(theirsStored)})`,
    );
  }
  return { staleVersionRefused, samePayload };
}
