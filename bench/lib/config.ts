/**
 * The bench's settings, read once from the command line and the environment: the mode (full or `--short`)
 * chooses a profile, and every difference between the two modes is a value of that profile, so sections
 * read `ctx.profile` and never test the mode themselves. The BENCH_* knobs are documented in bench/README.md.
 */
import path from 'node:path';
import { ROOT } from '../../src/platform/stack';

export interface Profile {
  /** orders (or workflows) in flight in every closed loop */
  concurrency: number;
  /** interleaved closed-loop rounds (each kind once per round; a ratio per round, the median reported) */
  rounds: number;
  /** counted seconds per kind and round */
  roundSeconds: number;
  rampSeconds: number;
  warmupSeconds: number;
  /** open-loop rates as fractions of the closed-loop saga throughput */
  ladder: number[];
  rungSeconds: number;
  growthActivities: number[];
  growthSamples: number;
  workersPerQueue: number[];
  workersSeconds: number;
  eventStoreSeconds: number;
  /** orders counted per saga path in the cost section (one at a time) */
  costOrders: number;
  /** seconds of an idle stack watched for timer-driven statements before the cost section's orders */
  costIdleSeconds: number;
  /** the coordination sections (modes, atomic): interleaved rounds and counted seconds per mode and round */
  coordinationRounds: number;
  coordinationSeconds: number;
  /** the bus section: counted seconds of each saga-load window (with the bare producer → consumer beside it) */
  busSeconds: number;
  busRounds: number;
  /** run the event store child alongside the stack's start-up (saves time; its figures are then a smoke test) */
  eventStoreAlongsideStack: boolean;
}

export type Mode = 'short' | 'full';

export interface Knobs {
  /** BENCH_OUT_DIR resolved, or the mode's default */
  outDir: string;
  outDirFromEnv: boolean;
  /** BENCH_TEMPORAL_ARGS: extra dev-server flags */
  temporalArgs: string[];
  /** BENCH_PG_SETTINGS: reloadable Postgres settings, `name=value;…` */
  pgSettings: [name: string, value: string][];
  /** BENCH_VERBOSE: print the children's log lines */
  verbose: boolean;
  /** BENCH_LOG_LEVEL: the stack's LOG_LEVEL */
  logLevel: string;
}

const envInt = (env: NodeJS.ProcessEnv, name: string, def: number) => {
  const raw = env[name];
  return raw && Number.isFinite(Number(raw)) ? Number(raw) : def;
};

function profileOf(mode: Mode, env: NodeJS.ProcessEnv): Profile {
  return mode === 'short'
    ? {
        concurrency: envInt(env, 'BENCH_CONCURRENCY', 4),
        rounds: Math.max(3, envInt(env, 'BENCH_ROUNDS', 3)),
        // longer than one saga's latency on a loaded 2-core machine (2.5–4 s seen), so a round counts completions
        roundSeconds: envInt(env, 'BENCH_SECONDS', 6),
        rampSeconds: 0,
        warmupSeconds: 1,
        ladder: [0.5, 1],
        rungSeconds: 2,
        growthActivities: [1, 3, 6, 9],
        growthSamples: 3,
        workersPerQueue: [1, 2],
        workersSeconds: 4,
        eventStoreSeconds: 0.4,
        costOrders: 1,
        costIdleSeconds: 2.5,
        coordinationRounds: 2,
        coordinationSeconds: 4,
        busSeconds: 4,
        busRounds: 2,
        eventStoreAlongsideStack: true,
      }
    : {
        concurrency: envInt(env, 'BENCH_CONCURRENCY', 16),
        rounds: Math.max(3, envInt(env, 'BENCH_ROUNDS', 3)),
        roundSeconds: envInt(env, 'BENCH_SECONDS', 12),
        rampSeconds: 4,
        warmupSeconds: 2,
        ladder: [0.5, 0.75, 1, 1.25],
        rungSeconds: 6,
        growthActivities: [1, 3, 6, 9],
        growthSamples: 8,
        workersPerQueue: [1, 2, 4],
        workersSeconds: 10,
        eventStoreSeconds: 8,
        costOrders: 3,
        costIdleSeconds: 3,
        coordinationRounds: 3,
        coordinationSeconds: 10,
        busSeconds: 12,
        busRounds: 3,
        eventStoreAlongsideStack: false,
      };
}

function pgSettingsOf(raw: string): [string, string][] {
  return raw
    .split(';')
    .filter((x) => x.includes('='))
    .map((kv) => {
      const [name, value] = kv.split('=').map((x) => x.trim()) as [string, string];
      if (!/^[a-z_]+$/.test(name)) throw new Error(`BENCH_PG_SETTINGS: bad name ${name}`);
      return [name, value];
    });
}

export function benchConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { mode: Mode; profile: Profile; knobs: Knobs } {
  const mode: Mode = argv.includes('--short') || env.BENCH_SHORT === '1' ? 'short' : 'full';
  const outDir = env.BENCH_OUT_DIR
    ? path.resolve(process.cwd(), env.BENCH_OUT_DIR)
    : mode === 'short'
      ? path.join(ROOT, 'test-results', 'bench-short')
      : path.join(ROOT, 'bench', 'results');
  return {
    mode,
    profile: profileOf(mode, env),
    knobs: {
      outDir,
      outDirFromEnv: Boolean(env.BENCH_OUT_DIR),
      temporalArgs: (env.BENCH_TEMPORAL_ARGS ?? '').split(/\s+/).filter(Boolean),
      pgSettings: pgSettingsOf(env.BENCH_PG_SETTINGS ?? ''),
      verbose: Boolean(env.BENCH_VERBOSE),
      logLevel: env.BENCH_LOG_LEVEL ?? 'warn',
    },
  };
}
