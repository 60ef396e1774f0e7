/**
 * What every bench section gets: a section is `{ name, run(ctx) }` in its own file under bench/sections,
 * and bench/run.ts lists them in the order they run. Sections that run before the stack starts get the
 * setup (settings, output directory, results); the others get the whole context (bench/lib/stack.ts), built
 * once. A section puts its figures into `ctx.results` under its own key and reads earlier sections' figures
 * from there (`need`), never from their internals.
 */
import os from 'node:os';
import type { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import type { OutboxRelay } from '../../src/eventstore';
import type { Stack } from '../../src/platform/stack';
import type { BenchResults } from '../report/result';
import type { BenchWorkers } from './bench-workers';
import { benchConfig, type Knobs, type Mode, type Profile } from './config';
import type { Workloads } from './workloads';

export interface Section<C extends BenchSetup = BenchContext> {
  name: string;
  run(ctx: C): Promise<void>;
}

export interface BenchSetup {
  mode: Mode;
  profile: Profile;
  knobs: Knobs;
  outDir: string;
  startedAt: Date;
  loadavgStart: number[];
  /** a progress line with the seconds since the start */
  say: (msg: string) => void;
  elapsedSeconds: () => number;
  /** latest.json, section by section */
  results: BenchResults;
  /** files a section wrote besides latest.json and latest.svg (printed with them) */
  files: { path: string; what: string }[];
  /** work a section leaves running alongside the next ones; `settle` awaits it (and throws its error) */
  background(name: string, work: Promise<void>): void;
  settle(): Promise<void>;
}

export interface BenchContext extends BenchSetup {
  stack: Stack;
  /** a small pool on the stack's Postgres for the bench's own queries */
  pool: Pool;
  connection: Connection;
  /** the stack's namespace (the real saga) */
  client: Client;
  /** the bench namespace (bare workflow, stubbed saga on the bench workers) */
  benchClient: Client;
  adminToken: string;
  /** a relay of the order read models in the bench process (a standby if the stack runs one) */
  relay: OutboxRelay;
  benchWorkers: BenchWorkers;
  /** the units of work the sections measure (saga, bare, stubbed) and what they recorded */
  load: Workloads;
  /** registers a clean-up that runs when the bench stops, newest first, before the stack stops */
  onClose(fn: () => Promise<void>): void;
}

export function benchSetup(argv: string[], env: NodeJS.ProcessEnv): BenchSetup {
  const t0 = performance.now();
  const { mode, profile, knobs } = benchConfig(argv, env);
  const pending = new Map<string, Promise<void>>();
  return {
    mode,
    profile,
    knobs,
    outDir: knobs.outDir,
    startedAt: new Date(),
    loadavgStart: os.loadavg(),
    say: (msg) => console.log(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`),
    elapsedSeconds: () => (performance.now() - t0) / 1000,
    results: {},
    files: [],
    background(name, work) {
      work.catch(() => undefined); // awaited (and its error thrown) by settle
      pending.set(name, work);
    },
    async settle() {
      for (const [name, work] of pending) {
        await work.catch((err: unknown) => {
          throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        });
        pending.delete(name);
      }
    },
  };
}

/** Runs one section, naming it in the error when it fails. */
export async function runSection<C extends BenchSetup>(section: Section<C>, ctx: C): Promise<void> {
  try {
    await section.run(ctx);
  } catch (err) {
    throw new Error(`section ${section.name}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
