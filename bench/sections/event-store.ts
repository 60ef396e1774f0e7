/**
 * The event store: bench/eventstore.ts (append vs plain INSERT and vs Emmett at 1, 8 and 32 writers, on its own durable
 * throwaway Postgres) as a child, before the stack loads the CPU; with `profile.eventStoreAlongsideStack`
 * (short mode) it runs alongside the stack's start-up and the next sections instead. The child writes its
 * raw result into this run's output directory (BENCH_EVENTSTORE_OUT), never into a file another run may
 * have written.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../src/platform/stack';
import type { BenchSetup, Section } from '../lib/context';
import { round } from '../lib/stats';
import type { EventStoreLevel } from '../report/result';

interface RawLevel {
  writers: number;
  append: { perSecond: number; p99Ms: number };
  plainInsert: { perSecond: number; p99Ms: number };
  ratio: number;
  appendWithoutGroupCommit?: { perSecond: number; p99Ms: number };
  appendWithOutbox?: { perSecond: number; p99Ms: number };
  appendWithOutboxNotifyAfterCommit?: { perSecond: number; p99Ms: number };
  emmett: { perSecond: number; p99Ms: number };
  vsEmmett: number;
  statementsPerOp: { perOp: Record<string, number>; complete: boolean };
}

function runChild(ctx: BenchSetup, out: string): Promise<void> {
  fs.rmSync(out, { force: true }); // a file left by an earlier run must not pass for this run's
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'eventstore.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        BENCH_SECONDS: String(ctx.profile.eventStoreSeconds),
        BENCH_FSYNC: '',
        BENCH_EVENTSTORE_OUT: out,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer) =>
      chunk
        .toString()
        .split('\n')
        .filter((l) => l.trim())
        .forEach((l) => ctx.say(`  ${l}`));
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bench/eventstore.ts exited with ${code}`)),
    );
  });
}

function levelOf(raw: RawLevel): EventStoreLevel {
  const withOutbox = raw.appendWithOutboxNotifyAfterCommit ?? raw.appendWithOutbox;
  return {
    writers: raw.writers,
    appendsPerSecond: raw.append.perSecond,
    appendP99Ms: raw.append.p99Ms,
    plainInsertsPerSecond: raw.plainInsert.perSecond,
    plainP99Ms: raw.plainInsert.p99Ms,
    ratio: raw.ratio,
    withoutGroupCommitPerSecond: raw.appendWithoutGroupCommit?.perSecond ?? null,
    withoutGroupCommitRatio: raw.appendWithoutGroupCommit
      ? round(raw.appendWithoutGroupCommit.perSecond / raw.plainInsert.perSecond, 3)
      : null,
    appendWithOutboxPerSecond: withOutbox?.perSecond ?? null,
    appendWithOutboxP99Ms: withOutbox?.p99Ms ?? null,
    withOutboxRatio: withOutbox ? round(withOutbox.perSecond / raw.plainInsert.perSecond, 3) : null,
    emmettPerSecond: raw.emmett.perSecond,
    emmettP99Ms: raw.emmett.p99Ms,
    vsEmmett: raw.vsEmmett,
    statementsPerOp: raw.statementsPerOp.perOp,
    statementsCounted: raw.statementsPerOp.complete,
  };
}

async function measure(ctx: BenchSetup, out: string): Promise<void> {
  await runChild(ctx, out);
  if (!fs.existsSync(out)) {
    throw new Error(`bench/eventstore.ts exited with 0 but did not write ${out} (BENCH_EVENTSTORE_OUT)`);
  }
  const raw = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    passes: { levels: RawLevel[]; poolMax: number; fairness: unknown }[];
  };
  ctx.results.eventStore = {
    method:
      'bench/eventstore.ts as a child (its own durable throwaway Postgres, before the stack starts): one-event ' +
      'appends with expected version on distinct streams vs a plain INSERT of the same row shape, alternated; ' +
      "the store's defaults (concurrent one-event appends group-committed), and the same with group commit off; " +
      "Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql) as the peer: the same event (type, " +
      'data, metadata), one per append with the expected stream version, its own database on the same server, ' +
      'a pg pool of the same size (checked first: both refuse a stale expected version, both stored the same ' +
      'data and metadata: `fairness`); statements per operation counted with pg_stat_statements in an untimed run',
    secondsPerWorkload: ctx.profile.eventStoreSeconds,
    poolMax: raw.passes[0]?.poolMax ?? null,
    fairness: raw.passes[0]?.fairness ?? null,
    levels: (raw.passes[0]?.levels ?? []).map(levelOf),
  };
  ctx.files.push({ path: out, what: 'bench/eventstore.ts' });
}

export const eventStore: Section<BenchSetup> = {
  name: 'eventStore',
  async run(ctx) {
    ctx.say('event store: bench/eventstore.ts (append vs plain INSERT and Emmett, 1/8/32 writers)');
    const work = measure(ctx, path.join(ctx.outDir, 'eventstore.json'));
    if (ctx.profile.eventStoreAlongsideStack) ctx.background('eventStore', work);
    else await work;
  },
};
