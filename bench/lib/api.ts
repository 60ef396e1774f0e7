/**
 * One JSON call to the stack's API with a bearer token (and an Idempotency-Key when given); `via` picks the
 * API instance (the cluster profile runs two), the first by default.
 */
import type { Stack } from '../../src/platform/stack';

export async function api(
  stack: Stack,
  token: string,
  method: string,
  route: string,
  body: unknown,
  key?: string,
  via = 0,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const base = stack.apiUrls[via % stack.apiUrls.length] ?? stack.apiUrl;
  const res = await fetch(`${base}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}
