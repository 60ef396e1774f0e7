/**
 * Writing outbox rows outside an append (a caller's own transaction), and waking the relay once rows are
 * committed: in-process when this process's relay of the pool and schema leads (local-wake.ts), else by one
 * coalesced NOTIFY. (An append writes its own outbox rows in its statement: append-sql.ts.)
 */
import type { Pool, PoolClient } from 'pg';
import { wakeLocalRelay } from './local-wake';
import { outboxChannel, quoteSchema } from './sql';
import type { AppendOptions } from './types';

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

/**
 * After-commit wake-up of the relay: directly when this process's relay of the pool and schema leads,
 * else one NOTIFY in flight at most; pokes that arrive meanwhile cause exactly one more, which starts after
 * them, so every poke is followed by a wake-up sent after it. A lost NOTIFY is covered by the relay's polling.
 */
export function afterCommitWake(pool: Pool, schema: string): () => void {
  const channel = outboxChannel(schema);
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
  return poke;
}
