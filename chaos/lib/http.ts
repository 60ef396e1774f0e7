/**
 * The chaos suite's HTTP client: loopback only, every request bounded by a timeout, and a small helper to
 * run many requests with a bounded number in flight.
 */

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface RequestOptions {
  token?: string | undefined;
  /** JSON-encoded unless `raw` is given */
  body?: unknown;
  /** the body bytes exactly as given (malformed JSON, oversize, other content types) */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  idempotencyKey?: string;
  timeoutMs?: number;
}

/** Status 0 = no HTTP answer (connection refused, reset or timed out). */
export const NO_ANSWER = 0;

export class ApiClient {
  constructor(readonly baseUrl: string) {
    const host = new URL(baseUrl).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
      throw new Error(`the chaos suite only talks to loopback, not ${host}`);
    }
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
    let body: string | Buffer | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    try {
      const res = await fetch(this.baseUrl + path, {
        method,
        headers,
        ...(body !== undefined ? { body: typeof body === 'string' ? body : new Uint8Array(body) } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    } catch (err) {
      return { status: NO_ANSWER, headers: new Headers(), text: String(err), json: undefined };
    }
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!, i);
  });
  await Promise.all(lanes);
  return results;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
