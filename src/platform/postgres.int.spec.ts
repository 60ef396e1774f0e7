import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { durabilityOf } from '../../test/support/stack';
import {
  DURABILITY_SETTINGS,
  freePort,
  socketDirFor,
  startEmbeddedPostgres,
  startThrowawayPostgres,
} from './postgres';

async function connection(url: string): Promise<{ unix: boolean; socketDirs: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // inet_server_addr() is NULL on a Unix-domain socket connection
    const r = await client.query<{ unix: boolean; dirs: string }>(
      `SELECT inet_server_addr() IS NULL AS unix, current_setting('unix_socket_directories') AS dirs`,
    );
    return { unix: r.rows[0]!.unix, socketDirs: r.rows[0]!.dirs };
  } finally {
    await client.end();
  }
}

async function settingsOf(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await durabilityOf(client);
  } finally {
    await client.end();
  }
}

describe('embedded Postgres connections', () => {
  it("freePort gives a bindable port below the kernel's ephemeral range (outgoing connections cannot take it)", async () => {
    const low = Number(
      (await fs.readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768')).split(
        /\s+/,
      )[0],
    );
    for (let i = 0; i < 5; i++) {
      const port = await freePort();
      assert.ok(port >= 10_000 && port < low, `${port} below ${low}`);
      const srv = net.createServer();
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });

  it('url goes through the Unix socket in the data directory, tcpUrl through 127.0.0.1; fast durability turns fsync, synchronous_commit and full_page_writes off', async () => {
    const db = await startThrowawayPostgres({ durability: 'fast' });
    try {
      assert.match(db.url, /\?host=/);
      const viaUrl = await connection(db.url);
      assert.equal(viaUrl.unix, true, 'url uses the socket');
      const dir = decodeURIComponent(new URL(db.url).searchParams.get('host')!);
      assert.equal(viaUrl.socketDirs, dir);
      await fs.access(path.join(dir, `.s.PGSQL.${db.port}`));
      assert.equal((await connection(db.tcpUrl)).unix, false, 'tcpUrl uses TCP');
      assert.deepEqual(await settingsOf(db.url), {
        fsync: 'off',
        full_page_writes: 'off',
        synchronous_commit: 'off',
      });
    } finally {
      await db.stop();
    }
  });

  it("durable durability is Postgres's own: fsync, synchronous_commit and full_page_writes on", async () => {
    const db = await startThrowawayPostgres({ durability: 'durable' });
    try {
      const settings = await settingsOf(db.url);
      assert.deepEqual(settings, { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on' });
      assert.deepEqual(settings, { ...DURABILITY_SETTINGS.durable });
    } finally {
      await db.stop();
    }
  });

  it('listens on TCP only when asked, or when the socket path would not fit', async () => {
    assert.equal(socketDirFor('/tmp/x/data', 5432), '/tmp/x/data');
    assert.equal(socketDirFor(`/tmp/${'d'.repeat(90)}`, 5432), undefined);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'order-saga-pg-'));
    await fs.chmod(dir, 0o777);
    const db = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'data'),
      port: await freePort(),
      persistent: false,
      unixSocket: false,
      settings: { fsync: 'off' },
    });
    try {
      assert.equal(db.url, db.tcpUrl);
      const c = await connection(db.url);
      assert.deepEqual(c, { unix: false, socketDirs: '' });
    } finally {
      await db.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
