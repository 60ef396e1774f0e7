/** Another customer's data, and the admin-only routes, with a valid customer token. */
import { collect, key, validOrder, type HostileCase, type HostileContext } from './cases';

export function tenantCases(ctx: HostileContext): HostileCase[] {
  const { attacker: me, victim: v } = ctx;
  const t = me.token;
  return collect((add) => {
    add("other customer's order", 'GET', `/orders/${v.orderId}`, { token: t });
    add("other customer's order events", 'GET', `/orders/${v.orderId}/events`, { token: t });
    add("cancel other customer's order", 'POST', `/orders/${v.orderId}/cancel`, {
      token: t,
      body: {},
      idempotencyKey: key(),
    });
    add("other customer's account", 'GET', `/accounts/${v.id}`, { token: t });
    add("other customer's account events", 'GET', `/accounts/${v.id}/events`, { token: t });
    add("list other customer's orders", 'GET', `/orders?customerId=${v.id}`, { token: t });
    add('order for another customer', 'POST', '/orders', {
      token: t,
      body: { ...validOrder(ctx), customerId: v.id },
      idempotencyKey: key(),
    });
    add('customer deposits to self', 'POST', `/accounts/${me.id}/deposits`, {
      token: t,
      body: { amount: 100 },
      idempotencyKey: key(),
    });
    add('customer edits catalog', 'PUT', `/inventory/${ctx.sku}`, {
      token: t,
      body: { name: 'x', price: 1 },
    });
    add('customer restocks', 'POST', `/inventory/${ctx.sku}/restock`, {
      token: t,
      body: { quantity: 5 },
      idempotencyKey: key(),
    });
  });
}
