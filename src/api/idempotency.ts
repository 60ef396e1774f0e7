/**
 * Idempotency keys in Postgres (gateway.idempotency_keys), scoped to the caller.
 *
 *   claim     INSERT the key in_progress with a fresh resource id, or take over a released claim with the
 *             same fingerprint (keeping its resource id), or report why not: completed (replay the stored
 *             bytes), in flight (409), different request (422).
 *   complete  store status, headers and the exact body bytes; later retries get them back.
 *   release   after a failure the client may retry: delete the row (nothing was done, e.g. a 4xx) or
 *             keep it with the lock dropped (an outage: the retry reuses the resource id, so a workflow
 *             that did start is found again instead of started twice).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;
export const KEY_TTL_MS = 24 * 3600 * 1000;

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type ClaimResult =
  | { kind: 'claimed'; resourceId: string; takenOver: boolean }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_flight' }
  | { kind: 'mismatch' };

export interface ClaimInput {
  scope: string;
  key: string;
  fingerprint: string;
  method: string;
  path: string;
  requestId: string;
  /** resource id to use when the key is new (default: a random uuid) */
  resourceId?: string;
}

/** JSON with object keys sorted, so equal bodies give equal fingerprints whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

interface Row {
  fingerprint: string;
  state: 'in_progress' | 'completed';
  resource_id: string | null;
  locked_until: Date | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
}

export class IdempotencyStore {
  constructor(
    private readonly pool: Pool,
    private readonly clock: () => Date,
    /** how long a claim is held before another attempt may take it over (a crashed request) */
    private readonly lockMs = 30_000,
    private readonly ttlMs = KEY_TTL_MS,
  ) {}

  async claim(input: ClaimInput): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock();
      const lockedUntil = new Date(now.getTime() + this.lockMs);
      const inserted = await this.pool.query<{ resource_id: string }>(
        `INSERT INTO gateway.idempotency_keys
           (scope, key, fingerprint, method, path, state, resource_id, request_id, locked_until,
            created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7, $8, $9, $9, $10)
         ON CONFLICT (scope, key) DO NOTHING
         RETURNING resource_id`,
        [
          input.scope,
          input.key,
          input.fingerprint,
          input.method,
          input.path,
          input.resourceId ?? randomUUID(),
          input.requestId,
          lockedUntil,
          now,
          new Date(now.getTime() + this.ttlMs),
        ],
      );
      const fresh = inserted.rows[0];
      if (fresh) return { kind: 'claimed', resourceId: fresh.resource_id, takenOver: false };

      // The key exists: take over a released or abandoned claim of the same request, atomically.
      const taken = await this.pool.query<{ resource_id: string }>(
        `UPDATE gateway.idempotency_keys
            SET locked_until = $4, request_id = $5, updated_at = $6
          WHERE scope = $1 AND key = $2 AND fingerprint = $3 AND state = 'in_progress'
            AND expires_at > $6 AND (locked_until IS NULL OR locked_until <= $6)
          RETURNING resource_id`,
        [input.scope, input.key, input.fingerprint, lockedUntil, input.requestId, now],
      );
      const takenRow = taken.rows[0];
      if (takenRow) return { kind: 'claimed', resourceId: takenRow.resource_id, takenOver: true };

      const existing = await this.pool.query<Row>(
        `SELECT fingerprint, state, resource_id, locked_until, response_status, response_headers,
                response_body, expires_at <= $3 AS expired
           FROM gateway.idempotency_keys WHERE scope = $1 AND key = $2`,
        [input.scope, input.key, now],
      );
      const row = existing.rows[0] as (Row & { expired: boolean }) | undefined;
      if (!row) continue; // deleted between our statements: try again
      if (row.expired) {
        await this.pool.query(
          `DELETE FROM gateway.idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at <= $3`,
          [input.scope, input.key, now],
        );
        continue;
      }
      if (row.fingerprint !== input.fingerprint) return { kind: 'mismatch' };
      if (row.state === 'completed') {
        return {
          kind: 'replay',
          response: {
            status: row.response_status ?? 500,
            headers: row.response_headers ?? {},
            body: row.response_body ?? Buffer.alloc(0),
          },
        };
      }
      return { kind: 'in_flight' };
    }
    return { kind: 'in_flight' };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.pool.query(
      `UPDATE gateway.idempotency_keys
          SET state = 'completed', locked_until = NULL, response_status = $3, response_headers = $4,
              response_body = $5, updated_at = $6
        WHERE scope = $1 AND key = $2`,
      [scope, key, response.status, JSON.stringify(response.headers), response.body, this.clock()],
    );
  }

  /** Nothing was done: forget the key entirely. */
  async forget(scope: string, key: string): Promise<void> {
    await this.pool.query(
      `DELETE FROM gateway.idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'`,
      [scope, key],
    );
  }

  /** The outcome is unknown (an outage): drop the lock, keep the resource id for the retry. */
  async release(scope: string, key: string): Promise<void> {
    await this.pool.query(
      `UPDATE gateway.idempotency_keys SET locked_until = NULL, updated_at = $3
        WHERE scope = $1 AND key = $2 AND state = 'in_progress'`,
      [scope, key, this.clock()],
    );
  }

  /** Deletes expired keys; returns how many. */
  async purgeExpired(): Promise<number> {
    const r = await this.pool.query(`DELETE FROM gateway.idempotency_keys WHERE expires_at <= $1`, [
      this.clock(),
    ]);
    return r.rowCount ?? 0;
  }
}
