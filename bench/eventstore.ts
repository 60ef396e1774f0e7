/**
 * `npm run bench:eventstore`: appends/s and append latency (p50/p99) for 1, 8 and 32 concurrent writers on
 * distinct streams, against the same-run rate of a plain single-row INSERT transaction of the same shape
 * (a table LIKE orders.events INCLUDING ALL: same columns, defaults, indexes) and of Emmett's PostgreSQL
 * event store (bench/lib/emmett-peer.ts: the same event, one per append, expected version checked, its own
 * database on the same server, a pool of the same size), on the same Postgres. After each level's timing,
 * every workload runs a fixed number of operations once more with pg_stat_statements tracking on (off while
 * timing) to count the statements each operation sends (`statementsPerOp`). BENCH_GROUP_COMMIT_IN_FLIGHT=4,8
 * adds the store with group commit at those maxInFlight values (default 2) to every level.
 *
 * Its own throwaway Postgres runs with durable settings (fsync, synchronous_commit, full_page_writes on),
 * unlike the test instances. BENCH_FSYNC=off adds a second pass with them off, reported separately.
 * BENCH_SECONDS (default 5) is the measured time per workload and level; the workloads alternate in
 * 0.5 s slices so that load from other processes on a shared machine hits them alike.
 * Writes bench/results/eventstore.json, or the file BENCH_EVENTSTORE_OUT names (absolute or relative to the
 * working directory; bench/run.ts points it into its own output directory).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { createPool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { createEventStore } from '../src/eventstore/store';
import { startThrowawayPostgres } from '../src/platform/postgres';
import { startEmmettPeer, type EmmettPeer } from './lib/emmett-peer';
import { checkPeerFairness } from './lib/peer-fairness';
import { countStatements, setStatementTracking } from './lib/statements-per-op';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WRITERS = [1, 8, 32];
/** BENCH_GROUP_COMMIT_IN_FLIGHT=4,8: also time the store with group commit at these maxInFlight values */
const IN_FLIGHT = (process.env.BENCH_GROUP_COMMIT_IN_FLIGHT ?? '')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);

interface RunResult {
  ops: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

interface Sample {
  latencies: number[];
  seconds: number;
}

async function run(writers: number, seconds: number, op: (writer: number) => Promise<void>): Promise<Sample> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op(w);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

function summarize(samples: Sample[]): RunResult {
  const latencies = samples.flatMap((x) => x.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((t, x) => t + x.seconds, 0);
  return {
    ops: latencies.length,
    seconds: round(seconds),
    perSecond: round(latencies.length / seconds, 1),
    p50Ms: round(quantile(latencies, 0.5), 3),
    p99Ms: round(quantile(latencies, 0.99), 3),
  };
}

type EventStore = ReturnType<typeof createEventStore>;

/** What one pass measures on: the pool, the store in its three configurations, the event's payload. */
interface Bed {
  db: Pool;
  store: EventStore;
  /** the same statements without group commit: every append its own statement and commit */
  storeSolo: EventStore;
  /** NOTIFY inside the append's transaction instead of after its commit */
  storeTx: EventStore;
  /** Emmett's PostgreSQL event store on the same server (its own database), a pool of the same size */
  emmett: EmmettPeer;
  /** group commit with other maxInFlight values (BENCH_GROUP_COMMIT_IN_FLIGHT) */
  storesInFlight: Map<number, EventStore>;
  data: Record<string, unknown>;
  metadata: Record<string, string>;
}

const KEYS: Key[] = [
  'plain',
  'append',
  'appendSolo',
  'published',
  'publishedTx',
  'emmett',
  ...IN_FLIGHT.map((n) => `inFlight${n}` as const),
];
type Key = 'plain' | 'append' | 'appendSolo' | 'published' | 'publishedTx' | 'emmett' | `inFlight${number}`;

/** The workloads of one writer level, each on its own streams (one per writer). */
function workloads(bed: Bed): Record<Key, (writer: number) => Promise<void>> {
  const { db, data, metadata } = bed;
  const tag = randomUUID().slice(0, 8);
  const versions = new Map<string, number>();
  const append =
    (publish: boolean, notifyInTx = false, solo = false) =>
    async (w: number) => {
      const stream = `bench-${tag}-${publish ? 'p' : 'a'}${notifyInTx ? 't' : ''}${solo ? 's' : ''}-${w}`;
      const v = versions.get(stream) ?? 0;
      const r = await (notifyInTx ? bed.storeTx : solo ? bed.storeSolo : bed.store).append(
        stream,
        v,
        [{ type: 'BenchEvent', data }],
        {
          metadata,
          ...(publish ? { publish } : {}),
        },
      );
      versions.set(stream, r.nextVersion);
    };
  const plainSeq = new Map<number, number>();
  const plain = async (w: number) => {
    const i = plainSeq.get(w) ?? 0;
    plainSeq.set(w, i + 1);
    await db.query({
      name: 'bench_plain_insert',
      text: `INSERT INTO public.plain_events (stream_id, version, event_id, event_type, schema_version, data, metadata)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      values: [
        `plain-${tag}-${w}`,
        i + 1,
        randomUUID(),
        'BenchEvent',
        1,
        JSON.stringify(data),
        JSON.stringify(metadata),
      ],
    });
  };
  const emmett = async (w: number) => {
    const stream = `bench-${tag}-e-${w}`;
    const next = await bed.emmett.append(stream, versions.get(stream) ?? 0, {
      type: 'BenchEvent',
      data,
      metadata,
    });
    versions.set(stream, next);
  };
  return {
    plain,
    emmett,
    append: append(false),
    appendSolo: append(false, false, true),
    published: append(true),
    publishedTx: append(true, true),
    ...Object.fromEntries(
      [...bed.storesInFlight].map(([n, store]) => [
        `inFlight${n}`,
        async (w: number) => {
          const stream = `bench-${tag}-f${n}-${w}`;
          const r = await store.append(stream, versions.get(stream) ?? 0, [{ type: 'BenchEvent', data }], {
            metadata,
          });
          versions.set(stream, r.nextVersion);
        },
      ]),
    ),
  };
}

async function level(label: string, writers: number, bed: Bed) {
  const ops = workloads(bed);
  // warm-up: connections, prepared statements
  for (const k of KEYS) await run(writers, 0.3, ops[k]!);
  // the workloads alternate in short slices, so load from other processes hits them alike
  const slices = Math.max(2, Math.round(SECONDS / 0.5));
  const samples = Object.fromEntries(KEYS.map((k) => [k, [] as Sample[]])) as Record<Key, Sample[]>;
  for (let i = 0; i < slices; i++) {
    for (const k of i % 2 === 0 ? KEYS : [...KEYS].reverse()) {
      samples[k]!.push(await run(writers, SECONDS / slices, ops[k]!));
    }
  }
  const byInFlight = Object.fromEntries(IN_FLIGHT.map((n) => [n, summarize(samples[`inFlight${n}`]!)]));
  const appendR = summarize(samples.append);
  const soloR = summarize(samples.appendSolo);
  const plainR = summarize(samples.plain);
  const published = summarize(samples.published);
  const publishedTx = summarize(samples.publishedTx);
  const emmettR = summarize(samples.emmett);
  const ratio = round(appendR.perSecond / plainR.perSecond, 3);
  const vsEmmett = round(appendR.perSecond / emmettR.perSecond, 3);
  const statementsPerOp = await countStatements(bed.db, writers, {
    plain: { database: 'order_saga', op: ops.plain },
    append: { database: 'order_saga', op: ops.append },
    appendSolo: { database: 'order_saga', op: ops.appendSolo },
    emmett: { database: bed.emmett.database, op: ops.emmett },
  });
  console.log(
    `[bench] ${label} writers=${String(writers).padStart(2)}  append ${appendR.perSecond.toFixed(0)}/s p99 ${appendR.p99Ms} ms` +
      `  | plain INSERT ${plainR.perSecond.toFixed(0)}/s p99 ${plainR.p99Ms} ms  | ratio ${ratio}` +
      `  | no group commit ${soloR.perSecond.toFixed(0)}/s p99 ${soloR.p99Ms} ms (ratio ${round(soloR.perSecond / plainR.perSecond, 3)})` +
      `  | +outbox, NOTIFY after commit ${published.perSecond.toFixed(0)}/s p99 ${published.p99Ms} ms` +
      `  | +outbox, NOTIFY in transaction ${publishedTx.perSecond.toFixed(0)}/s p99 ${publishedTx.p99Ms} ms` +
      `  | Emmett ${emmettR.perSecond.toFixed(0)}/s p99 ${emmettR.p99Ms} ms (ours ÷ Emmett ${vsEmmett})` +
      `  | statements per op ${JSON.stringify(statementsPerOp.perOp)}` +
      IN_FLIGHT.map((n) => `  | maxInFlight ${n}: ${byInFlight[n]!.perSecond.toFixed(0)}/s`).join(''),
  );
  return {
    writers,
    append: appendR,
    plainInsert: plainR,
    ratio,
    appendWithoutGroupCommit: soloR,
    ratioWithoutGroupCommit: round(soloR.perSecond / plainR.perSecond, 3),
    appendWithOutboxNotifyAfterCommit: published,
    appendWithOutboxNotifyInTransaction: publishedTx,
    emmett: emmettR,
    vsEmmett,
    statementsPerOp,
    ...(IN_FLIGHT.length ? { appendByMaxInFlight: byInFlight } : {}),
    load1: round(os.loadavg()[0] ?? 0),
  };
}

async function pass(label: string, durable: boolean) {
  const onOff = durable ? 'on' : 'off';
  console.log(
    `[bench] ${label}: starting a throwaway Postgres (fsync=${onOff}, synchronous_commit=${onOff})`,
  );
  const pg = await startThrowawayPostgres({
    durability: durable ? 'durable' : 'fast',
    settings: { shared_preload_libraries: 'pg_stat_statements' },
  });
  let pool: Pool | undefined;
  let emmett: EmmettPeer | undefined;
  try {
    await migrate(pg.url);
    const poolMax = Math.max(...WRITERS) + 4;
    pool = createPool(pg.url, { max: poolMax, applicationName: 'bench' });
    const db = pool;
    await db.query('CREATE TABLE public.plain_events (LIKE orders.events INCLUDING ALL)');
    await db.query('CREATE EXTENSION pg_stat_statements');
    await setStatementTracking(db, false);
    emmett = await startEmmettPeer(pg.url, poolMax);
    const bed: Bed = {
      db,
      store: createEventStore({ pool: db, schema: 'orders', snapshotEvery: 0 }),
      storeSolo: createEventStore({ pool: db, schema: 'orders', snapshotEvery: 0, groupCommit: false }),
      storeTx: createEventStore({ pool: db, schema: 'orders', snapshotEvery: 0, notify: 'in-transaction' }),
      emmett,
      storesInFlight: new Map(
        IN_FLIGHT.map((n) => [
          n,
          createEventStore({ pool: db, schema: 'orders', snapshotEvery: 0, groupCommit: { maxInFlight: n } }),
        ]),
      ),
      data: {
        orderId: 'bench',
        at: new Date().toISOString(),
        lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
      },
      metadata: { correlationId: 'bench', workflowId: 'order-bench', activityType: 'bench' },
    };
    const fairness = await checkPeerFairness({
      db,
      store: bed.store,
      emmett,
      event: { type: 'BenchEvent', data: bed.data, metadata: bed.metadata },
    });
    console.log(`[bench] ${label}: fair comparison checked ${JSON.stringify(fairness)}`);
    const levels = [];
    for (const writers of WRITERS) levels.push(await level(label, writers, bed));
    const check = await db.query<{ gaps: number }>(
      `SELECT count(*)::int AS gaps FROM (
         SELECT stream_id, max(version) AS mx, count(*) AS n FROM orders.events GROUP BY stream_id) s WHERE mx <> n`,
    );
    return {
      label,
      fsync: onOff,
      synchronousCommit: onOff,
      poolMax,
      fairness,
      streamsWithGaps: check.rows[0]!.gaps,
      levels,
    };
  } finally {
    await emmett?.close();
    await pool?.end();
    await pg.stop();
  }
}

async function main(): Promise<void> {
  const passes = [await pass('durable', true)];
  if (process.env.BENCH_FSYNC === 'off') passes.push(await pass('fsync-off', false));
  const result = {
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadavg: os.loadavg().map((x) => round(x)),
    },
    secondsPerWorkload: SECONDS,
    appendShape:
      'one event per append, expected version, distinct stream per writer; one autocommit CTE statement',
    plainShape: 'one autocommit INSERT into a table LIKE orders.events INCLUDING ALL',
    emmettShape:
      '@event-driven-io/emmett-postgresql appendToStream: one event, expectedStreamVersion; BEGIN, SELECT emt_append_to_stream(…), COMMIT; its own database on the same server, a pg pool of the same size',
    passes,
  };
  const out = process.env.BENCH_EVENTSTORE_OUT
    ? path.resolve(process.cwd(), process.env.BENCH_EVENTSTORE_OUT)
    : path.resolve(__dirname, 'results', 'eventstore.json');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`[bench] wrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
