/**
 * The simulated shipping carrier: an HTTP service of its own with a settable failure rate and latency.
 *   POST /bookings          {key?, orderId, ...} (+ Idempotency-Key header) → 201 {trackingNumber, ...};
 *                           the same key always returns the same booking (200 on a repeat)
 *   GET  /bookings/:key     → the booking or 404
 *   PUT  /admin/behaviour   {failureRate?, latencyMs?} → the new behaviour (tests and demos)
 *   GET  /admin/behaviour   → the current behaviour
 *   GET  /health            → 200 {status: 'ok'}
 * Failures are 503s, drawn per booking request with probability failureRate. State is in memory: the
 * carrier is a stand-in for a third-party API.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CarrierBehaviour {
  failureRate: number;
  latencyMs: number;
}

export interface CarrierServer {
  url: string;
  port: number;
  behaviour: CarrierBehaviour;
  bookings: Map<string, { trackingNumber: string; carrier: string; createdAt: string; orderId: string }>;
  stats: { requests: number; failures: number; bookings: number };
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : {};
}

const isRate = (x: unknown): x is number => typeof x === 'number' && x >= 0 && x <= 1;
const isLatency = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 60000;

export async function startCarrierServer(opts: {
  port?: number;
  host?: string;
  behaviour?: Partial<CarrierBehaviour>;
  random?: () => number;
}): Promise<CarrierServer> {
  const random = opts.random ?? Math.random;
  const behaviour: CarrierBehaviour = {
    failureRate: opts.behaviour?.failureRate ?? 0,
    latencyMs: opts.behaviour?.latencyMs ?? 0,
  };
  const bookings: CarrierServer['bookings'] = new Map();
  const stats = { requests: 0, failures: 0, bookings: 0 };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 400, { error: (err as Error).message });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://carrier');
    if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, { status: 'ok' });
    if (url.pathname === '/admin/behaviour') {
      if (req.method === 'GET') return json(res, 200, behaviour);
      if (req.method === 'PUT') {
        const body = (await readBody(req)) as Partial<CarrierBehaviour>;
        if (body.failureRate !== undefined && !isRate(body.failureRate)) {
          return json(res, 400, { error: 'failureRate must be a number between 0 and 1' });
        }
        if (body.latencyMs !== undefined && !isLatency(body.latencyMs)) {
          return json(res, 400, { error: 'latencyMs must be an integer between 0 and 60000' });
        }
        if (body.failureRate !== undefined) behaviour.failureRate = body.failureRate;
        if (body.latencyMs !== undefined) behaviour.latencyMs = body.latencyMs;
        return json(res, 200, behaviour);
      }
    }
    const match = /^\/bookings\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && match?.[1]) {
      const booking = bookings.get(decodeURIComponent(match[1]));
      return booking ? json(res, 200, booking) : json(res, 404, { error: 'no such booking' });
    }
    if (req.method === 'POST' && url.pathname === '/bookings') {
      stats.requests++;
      const body = (await readBody(req)) as { key?: string; orderId?: string };
      if (behaviour.latencyMs > 0) await sleep(behaviour.latencyMs);
      if (random() < behaviour.failureRate) {
        stats.failures++;
        return json(res, 503, { error: 'carrier temporarily unavailable (simulated)' });
      }
      const header = req.headers['idempotency-key'];
      const key = (typeof header === 'string' ? header : undefined) ?? body.key;
      if (!key || !body.orderId) return json(res, 400, { error: 'key and orderId are required' });
      const existing = bookings.get(key);
      if (existing) return json(res, 200, existing);
      const booking = {
        trackingNumber: `TRK-${randomUUID().slice(0, 8).toUpperCase()}`,
        carrier: 'SimPost',
        createdAt: new Date().toISOString(),
        orderId: body.orderId,
      };
      bookings.set(key, booking);
      stats.bookings++;
      return json(res, 201, booking);
    }
    return json(res, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    behaviour,
    bookings,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
