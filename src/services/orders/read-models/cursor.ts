/**
 * The keyset cursor of order lists: the (created_at, order_id) of a page's last item as base64url JSON, so
 * the next page starts after it. Anything that does not decode to that shape is an InvalidCursorError. Pure.
 */

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** Keyset cursor: the (created_at, order_id) of the last item, as base64url JSON. Pure. */
export function encodeCursor(createdAt: string, orderId: string): string {
  return Buffer.from(JSON.stringify([createdAt, orderId]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; orderId: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      if (!Number.isNaN(Date.parse(v[0]))) return { createdAt: v[0], orderId: v[1] };
    }
  } catch {
    /* fall through */
  }
  throw new InvalidCursorError('invalid cursor');
}
