/**
 * The API's composition root (server.ts) as its own process, against a real stack (test/support/api-stack.ts:
 * Temporal dev server, Postgres, the four workers running the real saga): it starts from the environment
 * alone, and on SIGTERM it stops listening, finishes the request in flight and exits 0 once its pools are
 * closed. The request in flight is a /metrics scrape held inside a stub worker metrics endpoint until the
 * test releases it. One outcome per test; the describe acts once in `before`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECRET, startApiStack, type ApiStack } from '../../test/support/api-stack';
import { eventually } from '../../test/support/eventually';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

/** true when nothing listens on 127.0.0.1:port any more */
const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

const freeLoopbackPort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

describe('server.ts started from the environment alone, then sent SIGTERM with a request in flight', () => {
  let child: ChildProcess;
  let slowWorker: Server;
  let release!: () => void;
  let healthy = false;
  let closedWhileInFlight = false;
  let inFlight: { status: number; body: string };
  let exitCode: number | null;
  before(async () => {
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const scrapeArrived = new Promise<void>((r) => (arrived = r));
    slowWorker = createServer((_req, res) => {
      arrived();
      void held.then(() => res.end('# TYPE slow_total counter\nslow_total 1\n'));
    });
    await new Promise<void>((r) => slowWorker.listen(0, '127.0.0.1', r));
    const port = await freeLoopbackPort();
    child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'server.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: api.stack.pg.url,
        TEMPORAL_ADDRESS: api.stack.env.address,
        AUTH_JWT_SECRET: SECRET,
        HOST: '127.0.0.1',
        PORT: String(port),
        WORKER_METRICS_URLS: `http://127.0.0.1:${(slowWorker.address() as { port: number }).port}/metrics`,
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      async () => {
        const health = await fetch(`${base}/health`);
        assert.equal(health.status, 200, 'the server answered /health 200');
      },
      { what: 'the server up and healthy', intervalMs: 200 },
    );
    healthy = true;
    const scrape = fetch(`${base}/metrics`);
    await scrapeArrived; // the request is inside the server, waiting for the worker
    child.kill('SIGTERM');
    // the server handled the signal: it no longer accepts connections, with the request still in flight
    await eventually(async () => assert.ok(await refusesConnections(port), 'still listening'), {
      what: 'the listener closed by SIGTERM',
    });
    closedWhileInFlight = true;
    release();
    const res = await scrape;
    inFlight = { status: res.status, body: await res.text() };
    exitCode = await exited;
  });
  after(async () => {
    child?.kill('SIGKILL');
    release?.();
    if (slowWorker) await new Promise((r) => slowWorker.close(r));
  });

  it('answers /health 200, started from the environment alone', () => {
    assert.equal(healthy, true);
  });

  it('stops listening on SIGTERM while a request is in flight', () => {
    assert.equal(closedWhileInFlight, true);
  });

  it('finishes the request in flight: 200 with the worker’s metrics', () => {
    assert.equal(inFlight.status, 200);
    assert.match(inFlight.body, /slow_total\{source="127\.0\.0\.1:\d+"\} 1/);
  });

  it('exits 0 once its pools are closed', () => {
    assert.equal(exitCode, 0);
  });
});
