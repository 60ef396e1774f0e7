/**
 * The event store's peer in bench/eventstore.ts: Emmett's PostgreSQL event store
 * (@event-driven-io/emmett-postgresql), on the same Postgres server as ours, in a database of its own (it
 * creates its tables and functions there on first use), through a pg pool of the same size as ours. Each
 * append is one event on the writer's own stream with the expected stream version, Emmett's optimistic
 * concurrency check: its `emt_append_to_stream` function inserts the stream row at version 0 (a second
 * writer fails on its primary key) and later moves it only from the expected version (an UPDATE … WHERE
 * stream_position = expected), inside BEGIN … COMMIT.
 *
 * Emmett's driver layer (dumbo) sets process-wide pg type parsers when a store is created (int8 → BigInt,
 * json/jsonb → its own parser). This project's store is written for int8 as a number (src/db/pool.ts), so
 * the parsers in force before are put back once Emmett's store exists: each store then reads results as it
 * was written to (Emmett's append converts what it reads with BigInt(), which accepts numbers and strings).
 */
import pg from 'pg';

export interface PeerEvent {
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, string>;
}

export interface EmmettPeer {
  /** appends one event at `expected` (0: the stream is new); the stream's next version */
  append(stream: string, expected: number, event: PeerEvent): Promise<number>;
  /** the stream's stored events (data, metadata), read back from Emmett's table */
  stored(stream: string): Promise<{ data: unknown; metadata: unknown }[]>;
  /** the database Emmett's tables are in */
  database: string;
  close(): Promise<void>;
}

const PARSED_TYPES = [pg.types.builtins.INT8, pg.types.builtins.JSON, pg.types.builtins.JSONB];

/** Creates the database (once) and Emmett's schema in it; `url` is a connection URL of the same server. */
export async function startEmmettPeer(
  url: string,
  poolMax: number,
  database = 'emmett',
): Promise<EmmettPeer> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${database}`;
  const connectionString = u.toString();
  const pool = new pg.Pool({ connectionString, max: poolMax, application_name: 'bench-emmett' });
  // as src/db/pool.ts does: a client closing while the server stops must not crash the process (pool.end()
  // resolves before its idle clients' sockets are closed)
  pool.on('error', () => undefined);
  const before = PARSED_TYPES.map(
    (oid) => [oid, pg.types.getTypeParser(oid) as (v: string) => unknown] as const,
  );
  const { getPostgreSQLEventStore } = await import('@event-driven-io/emmett-postgresql');
  const store = getPostgreSQLEventStore(connectionString, { connectionOptions: { pooled: true, pool } });
  for (const [oid, parser] of before) pg.types.setTypeParser(oid, parser);
  await store.schema.migrate();
  return {
    database,
    async append(stream, expected, event) {
      const r = await store.appendToStream(stream, [event], { expectedStreamVersion: BigInt(expected) });
      return Number(r.nextExpectedStreamVersion);
    },
    async stored(stream) {
      const r = await pool.query<{ data: unknown; metadata: unknown }>(
        'SELECT message_data AS data, message_metadata AS metadata FROM emt_messages WHERE stream_id = $1 ORDER BY stream_position',
        [stream],
      );
      return r.rows;
    },
    async close() {
      await store.close();
      await pool.end().catch(() => undefined);
    },
  };
}
