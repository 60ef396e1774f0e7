/**
 * Runs a POST handler at most once per (caller, Idempotency-Key) and answers retries with the stored
 * response bytes. A handler failure with a 4xx forgets the key (nothing was done); any other failure
 * releases the claim but keeps the resource id, so the retry resumes the same resource.
 */
import type { Request, Response } from 'express';
import { principalOf } from './auth';
import { type IdempotencyStore, requestFingerprint } from './idempotency';
import { ApiError, toApiError, unavailable } from './problem';
import { idempotencyKeyOf } from './validation';

export interface HandlerResult {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export async function runIdempotent(
  store: IdempotencyStore,
  req: Request,
  res: Response,
  handler: (ctx: { resourceId: string; idempotencyKey: string }) => Promise<HandlerResult>,
  opts: { key?: string } = {},
): Promise<void> {
  const principal = principalOf(req);
  const key = opts.key ?? idempotencyKeyOf(req);
  const scope = principal.sub;
  const claim = await store.claim({
    scope,
    key,
    fingerprint: requestFingerprint(req.method, req.path, req.body ?? null),
    method: req.method,
    path: req.path,
    requestId: req.requestId,
  });
  switch (claim.kind) {
    case 'replay': {
      for (const [k, v] of Object.entries(claim.response.headers)) res.setHeader(k, v);
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(claim.response.status).type('application/json').send(claim.response.body);
      return;
    }
    case 'in_flight':
      throw new ApiError(
        409,
        'idempotency-key-in-use',
        'A request with this Idempotency-Key is still being processed; retry later.',
        undefined,
        { 'Retry-After': '1' },
      );
    case 'mismatch':
      throw new ApiError(
        422,
        'idempotency-key-reused',
        'This Idempotency-Key was already used with a different request.',
      );
    case 'claimed':
      break;
  }

  let result: HandlerResult;
  try {
    // the claim's resource id makes the service-level key unique per key lifetime (a key reused after it
    // expired is a new request) and stable across retries of this one
    result = await handler({
      resourceId: claim.resourceId,
      idempotencyKey: `${scope}:${key}:${claim.resourceId}`,
    });
  } catch (err) {
    const apiError = toApiError(err);
    const undo = apiError.status < 500 ? store.forget(scope, key) : store.release(scope, key);
    await undo.catch((e: unknown) => req.log.warn({ err: e }, 'could not release idempotency key'));
    throw err;
  }
  const body = Buffer.from(JSON.stringify(result.body));
  const headers = result.headers ?? {};
  try {
    await store.complete(scope, key, { status: result.status, headers, body });
  } catch (err) {
    // The effect happened but its response is not stored: the retry resumes the same resource id and
    // finds the effect already there (e.g. the workflow exists), so it still happens once.
    req.log.error({ err }, 'could not store idempotent response');
    await store.release(scope, key).catch(() => undefined);
    throw unavailable('The request was accepted but could not be recorded; retry with the same key.');
  }
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(result.status).type('application/json').send(body);
}
