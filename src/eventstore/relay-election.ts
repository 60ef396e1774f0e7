/**
 * Relay election: one active relay per schema, the holder of a session advisory lock on its own dedicated
 * connection, which also LISTENs for NOTIFY. The others stand by and try again; Postgres releases the lock
 * when the holder's connection ends, so a crashed leader is replaced.
 */
import pg from 'pg';
import type { RelayContext } from './relay-types';
import { outboxChannel } from './sql';

const LOCK_CLASS = 7_294_100;

/** Tries to become the leader once; true when this relay now holds the lock (ctx.leaderClient). */
export async function elect(ctx: RelayContext): Promise<boolean> {
  const client = new pg.Client({
    ...ctx.pool.options,
    application_name: `outbox-relay-${ctx.schema}`,
    keepAlive: true,
  });
  // only the leader's own connection ending matters (a standby ends its client when the lock is taken)
  client.on('error', (err) => {
    if (client !== ctx.leaderClient) return;
    ctx.log.warn({ err: err.message, schema: ctx.schema }, 'outbox relay: leader connection lost');
    ctx.stats.leader = false;
    ctx.wakeUp();
  });
  client.on('end', () => {
    if (client !== ctx.leaderClient) return;
    ctx.stats.leader = false;
    ctx.wakeUp();
  });
  try {
    await client.connect();
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
      LOCK_CLASS,
      ctx.schema,
    ]);
    if (!r.rows[0]?.ok) {
      await client.end();
      return false;
    }
    client.on('notification', ctx.wakeUp);
    await client.query(`LISTEN "${outboxChannel(ctx.schema)}"`);
    ctx.leaderClient = client;
    ctx.stats.leader = true;
    ctx.log.info({ schema: ctx.schema }, 'outbox relay: active');
    return true;
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'outbox relay: election failed');
    await client.end().catch(() => undefined);
    return false;
  }
}

/** Ends the dedicated connection of a leadership that was lost (its lock went with it). */
export async function dropLostLeadership(ctx: RelayContext): Promise<void> {
  const old = ctx.leaderClient;
  if (!old) return;
  ctx.leaderClient = undefined;
  await old.end().catch(() => undefined);
}

/** Graceful resignation: ending the connection releases the lock for a standby. */
export async function resign(ctx: RelayContext): Promise<void> {
  ctx.stats.leader = false;
  await dropLostLeadership(ctx);
}

/** Crash: the connection is destroyed at once, as a killed process's would be. */
export function abandon(ctx: RelayContext): void {
  ctx.stats.leader = false;
  const c = ctx.leaderClient;
  ctx.leaderClient = undefined;
  c?.connection.stream.destroy();
}
