/** Every endpoint with every bad credential (otherwise valid requests, fresh keys), and malformed headers. */
import { collect, key, validOrder, type HostileCase, type HostileContext } from './cases';

export function credentialCases(
  ctx: HostileContext,
  tokens: Record<string, string | undefined>,
): HostileCase[] {
  const v = ctx.victim;
  const endpoints: { method: string; path: string; body?: unknown }[] = [
    { method: 'POST', path: '/orders', body: validOrder(ctx) },
    { method: 'GET', path: `/orders/${v.orderId}` },
    { method: 'GET', path: '/orders' },
    { method: 'GET', path: `/orders/${v.orderId}/events` },
    { method: 'POST', path: `/orders/${v.orderId}/cancel`, body: {} },
    { method: 'GET', path: `/accounts/${v.id}` },
    { method: 'GET', path: `/accounts/${v.id}/events` },
    { method: 'POST', path: `/accounts/${v.id}/deposits`, body: { amount: 1_000_000 } },
    { method: 'PUT', path: `/inventory/${ctx.sku}`, body: { name: 'pwned', price: 1 } },
    { method: 'POST', path: `/inventory/${ctx.sku}/restock`, body: { quantity: 1000 } },
    { method: 'GET', path: `/inventory/${ctx.sku}` },
  ];
  return collect((add) => {
    for (const [tname, token] of Object.entries(tokens)) {
      for (const e of endpoints) {
        if (tname === 'garbage token' && e.method === 'GET' && e.path !== '/orders') continue;
        add(`${tname}: ${e.method} ${e.path}`, e.method, e.path, {
          token,
          ...(e.body !== undefined ? { body: e.body } : {}),
          ...(e.method !== 'GET' ? { idempotencyKey: key() } : {}),
        });
      }
    }
    add('Basic auth', 'GET', '/orders', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    add('Bearer with spaces', 'GET', '/orders', { headers: { authorization: 'Bearer a b c' } });
  });
}
