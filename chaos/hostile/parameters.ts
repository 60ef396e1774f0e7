/** The other endpoints' path and query parameters and bodies, and methods and routes that do not exist. */
import { randomUUID } from 'node:crypto';
import type { RequestOptions } from '../lib/http';
import {
  collect,
  JSON_TYPE as json,
  key,
  type AddCase,
  type HostileCase,
  type HostileContext,
} from './cases';

function orderParameters(add: AddCase, ctx: HostileContext): void {
  const t = ctx.attacker.token;
  const v = ctx.victim;
  add('order id not a UUID', 'GET', '/orders/not-a-uuid', { token: t });
  add('order id SQL', 'GET', `/orders/${encodeURIComponent("1' OR '1'='1")}`, { token: t });
  add('order id traversal', 'GET', '/orders/..%2F..%2Fetc%2Fpasswd', { token: t });
  add('unknown order', 'GET', `/orders/${randomUUID()}`, { token: t });
  add('unknown order events', 'GET', `/orders/${randomUUID()}/events`, { token: t });
  add('cancel unknown order', 'POST', `/orders/${randomUUID()}/cancel`, {
    token: t,
    body: {},
    idempotencyKey: key(),
  });
  add('cancel with unknown field', 'POST', `/orders/${v.orderId}/cancel`, {
    token: ctx.admin,
    body: { reason: 'x', refund: 1_000_000 },
    idempotencyKey: key(),
  });
  add('cancel reason with NUL', 'POST', `/orders/${v.orderId}/cancel`, {
    token: ctx.admin,
    body: { reason: 'a\u0000' },
    idempotencyKey: key(),
  });
  add('cancel without key', 'POST', `/orders/${v.orderId}/cancel`, { token: ctx.admin, body: {} });
  for (const q of [
    'limit=0',
    'limit=101',
    'limit=-1',
    'limit=1e9',
    'limit=abc',
    'status=BOGUS',
    `status=${encodeURIComponent("PENDING' OR 1=1--")}`,
    'cursor=not-a-cursor',
    `cursor=${encodeURIComponent("' UNION SELECT * FROM payments.events --")}`,
    'status=PENDING&status=FAILED',
    'unknown=1',
    '__proto__=x',
  ]) {
    add(`GET /orders?${q}`, 'GET', `/orders?${q}`, { token: t });
  }
}

function accountParameters(add: AddCase, ctx: HostileContext): void {
  const { attacker: me } = ctx;
  const t = me.token;
  add('account id SQL', 'GET', `/accounts/${encodeURIComponent("x' OR '1'='1")}`, { token: ctx.admin });
  add('account asOf garbage', 'GET', `/accounts/${me.id}?asOf=yesterday`, { token: t });
  add('account asOf SQL', 'GET', `/accounts/${me.id}?asOf=${encodeURIComponent("2020-01-01'; --")}`, {
    token: t,
  });
  add('account unknown query', 'GET', `/accounts/${me.id}?balance=1000000`, { token: t });
  const deposit = (name: string, opts: RequestOptions, id = me.id) =>
    add(`deposit: ${name}`, 'POST', `/accounts/${encodeURIComponent(id)}/deposits`, {
      token: ctx.admin,
      idempotencyKey: key(),
      ...opts,
    });
  deposit('negative', { body: { amount: -100 } });
  deposit('zero', { body: { amount: 0 } });
  deposit('fraction', { body: { amount: 1.5 } });
  deposit('string', { body: { amount: '100' } });
  deposit('1e308', { body: { amount: 1e308 } });
  deposit('2^53', { body: { amount: 2 ** 53 } });
  deposit('missing amount', { body: {} });
  deposit('extra field', { body: { amount: 100, currency: 'BTC' } });
  deposit('__proto__', { raw: '{"amount":100,"__proto__":{"amount":1}}', headers: json });
  deposit('malformed', { raw: '{"amount":', headers: json });
  deposit('text/plain', { raw: '{"amount":100}', headers: { 'content-type': 'text/plain' } });
  deposit('bad customer id', { body: { amount: 100 } }, 'a b');
  deposit('SQL customer id', { body: { amount: 100 } }, "x'; DELETE FROM payments.events;--");
  add('deposit: no key', 'POST', `/accounts/${me.id}/deposits`, { token: ctx.admin, body: { amount: 100 } });
}

function inventoryParameters(add: AddCase, ctx: HostileContext): void {
  const put = (name: string, body: unknown, sku = ctx.sku) =>
    add(`PUT inventory: ${name}`, 'PUT', `/inventory/${encodeURIComponent(sku)}`, { token: ctx.admin, body });
  put('negative price', { name: 'x', price: -1 });
  put('zero price', { name: 'x', price: 0 });
  put('string price', { name: 'x', price: 'free' });
  put('huge price', { name: 'x', price: 1e308 });
  put('empty name', { name: '', price: 100 });
  put('NUL in name', { name: 'a\u0000b', price: 100 });
  put('extra field', { name: 'x', price: 100, stock: 1_000_000 });
  put('SQL sku', { name: 'x', price: 100 }, "x' OR '1'='1");
  put('sku too long', { name: 'x', price: 100 }, 'S'.repeat(65));
  const restock = (name: string, body: unknown, sku = ctx.sku) =>
    add(`restock: ${name}`, 'POST', `/inventory/${encodeURIComponent(sku)}/restock`, {
      token: ctx.admin,
      body,
      idempotencyKey: key(),
    });
  restock('zero', { quantity: 0 });
  restock('negative', { quantity: -5 });
  restock('fraction', { quantity: 0.5 });
  restock('1e308', { quantity: 1e308 });
  restock('unknown SKU', { quantity: 5 }, `NO-SUCH-${randomUUID().slice(0, 8)}`);
  restock('SQL sku', { quantity: 5 }, "'; TRUNCATE inventory.events; --");
  const t = ctx.attacker.token;
  add('inventory SQL sku', 'GET', `/inventory/${encodeURIComponent("x' OR '1'='1")}`, { token: t });
  add('inventory unknown sku', 'GET', '/inventory/NO-SUCH-SKU-EVER', { token: t });
}

export function parameterCases(ctx: HostileContext): HostileCase[] {
  return collect((add) => {
    orderParameters(add, ctx);
    accountParameters(add, ctx);
    inventoryParameters(add, ctx);
    add('DELETE an order', 'DELETE', `/orders/${ctx.victim.orderId}`, { token: ctx.admin });
    add('PATCH an item', 'PATCH', `/inventory/${ctx.sku}`, { token: ctx.admin, body: { price: 1 } });
    add('unknown route', 'POST', '/admin/reset', { token: ctx.admin, body: {}, idempotencyKey: key() });
  });
}
