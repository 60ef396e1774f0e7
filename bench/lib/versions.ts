/** Versions and settings of what the bench ran on: npm packages, the Temporal CLI, Postgres settings. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { ROOT } from '../../src/platform/stack';

export function pkgVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** The Temporal CLI the stack runs (TEMPORAL_CLI_PATH, or the newest in the project's cache). */
export function findCli(): string | undefined {
  const dir = path.join(os.homedir(), '.cache', 'order-saga', 'temporal-cli');
  const bin = process.env.TEMPORAL_CLI_PATH;
  if (bin) return bin;
  try {
    const versions = fs.readdirSync(dir).sort();
    const last = versions.at(-1);
    return last ? path.join(dir, last, 'temporal') : undefined;
  } catch {
    return undefined;
  }
}

export function cliVersionOf(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const PG_SETTINGS = [
  'shared_buffers',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'wal_level',
  'max_connections',
  'work_mem',
  'checkpoint_timeout',
  'max_wal_size',
  'commit_delay',
  'commit_siblings',
  'wal_writer_delay',
  'max_worker_processes',
  'shared_preload_libraries',
  'pg_stat_statements.track',
];

export async function postgresVersion(pool: Pool): Promise<string> {
  return (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '';
}

/** The Postgres settings that matter for the figures, as `value unit`. */
export async function postgresSettings(pool: Pool): Promise<Record<string, string>> {
  const r = await pool.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
    [PG_SETTINGS],
  );
  return Object.fromEntries(r.rows.map((x) => [x.name, x.unit ? `${x.setting} ${x.unit}` : x.setting]));
}
