/**
 * Deterministic event ids: a retried step derives the same ids from its key, so its append finds them
 * stored and becomes a no-op instead of writing the events twice.
 */
import { createHash } from 'node:crypto';

const ID_NAMESPACE = Buffer.from('6f3c1b0e5a4d4c2e9b7f0a1d2c3e4f50', 'hex');

/** A uuid (version-5 layout: SHA-1 of a fixed namespace and `key#index`), the same on every retry. */
export function deterministicEventId(key: string, index: number): string {
  const h = createHash('sha1').update(ID_NAMESPACE).update(`${key}#${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
