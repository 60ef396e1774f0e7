/** Request parsing: zod schemas → typed values, or a 400 problem listing every field error. */
import type { Request } from 'express';
import type { z } from 'zod';
import { badRequest, type FieldError } from './problem';
import { IdempotencyKeyHeader } from './schemas';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Finds prototype-polluting keys anywhere in a parsed JSON value. */
export function findForbiddenKeys(value: unknown, path: string[] = [], out: FieldError[] = []): FieldError[] {
  if (out.length >= 20 || value === null || typeof value !== 'object') return out;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (FORBIDDEN_KEYS.has(key))
      out.push({ path: [...path, key].join('.'), message: 'forbidden field name' });
    else findForbiddenKeys(child, [...path, key], out);
  }
  return out;
}

export const MAX_BODY_DEPTH = 32;

/** Nesting depth of a parsed JSON value, without recursion (a 100 kB body can nest 50,000 deep). */
export function depthOf(value: unknown, limit = MAX_BODY_DEPTH): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    if (max > limit) return max;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'path' | 'header',
): z.output<S> {
  if (where === 'body') {
    if (depthOf(value) > MAX_BODY_DEPTH) {
      throw badRequest('The request body is nested too deeply.', [
        { path: 'body', message: `at most ${MAX_BODY_DEPTH} levels of nesting` },
      ]);
    }
    const forbidden = findForbiddenKeys(value);
    if (forbidden.length) throw badRequest('The request body contains forbidden field names.', forbidden);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const prefix = where === 'body' ? [] : [where];
  const errors = result.error.issues.slice(0, 50).map((issue) => {
    const path = [...prefix, ...issue.path.map(String)].join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { path: path || where, message };
  });
  throw badRequest(`The request ${where} is invalid.`, errors);
}

export function parseBody<S extends z.ZodType>(schema: S, req: Request, emptyAs?: unknown): z.output<S> {
  const body: unknown = req.body === undefined ? emptyAs : req.body;
  if (body === undefined)
    throw badRequest('A JSON request body is required.', [{ path: 'body', message: 'required' }]);
  return parseWith(schema, body, 'body');
}

export function idempotencyKeyOf(req: Request): string {
  const raw = req.get('idempotency-key');
  if (raw === undefined) {
    throw badRequest('The Idempotency-Key header is required on this request.', [
      { path: 'header.Idempotency-Key', message: 'required' },
    ]);
  }
  const parsed = IdempotencyKeyHeader.safeParse(raw);
  if (!parsed.success) {
    throw badRequest('The Idempotency-Key header is malformed.', [
      { path: 'header.Idempotency-Key', message: 'must be 1-255 characters of A-Za-z0-9_.:-' },
    ]);
  }
  return parsed.data;
}
