/** POST /orders with a valid customer token and a body, content type or Idempotency-Key that must be refused. */
import { randomUUID } from 'node:crypto';
import type { RequestOptions } from '../lib/http';
import {
  address,
  collect,
  JSON_TYPE as json,
  key,
  validOrder,
  type HostileCase,
  type HostileContext,
} from './cases';

type Post = (name: string, opts: RequestOptions) => void;

/** Not an order: malformed or not an object, wrong types, quantities out of range, too many or too big. */
function shapes(post: Post, ctx: HostileContext): void {
  const order = validOrder(ctx);
  const withItem = (item: Record<string, unknown>) => ({ ...order, items: [item] });
  post('malformed JSON', { raw: '{"items": [', headers: json });
  post('trailing garbage', { raw: JSON.stringify(order) + '}}', headers: json });
  post('JSON null', { raw: 'null', headers: json });
  post('JSON array', { raw: '[]', headers: json });
  post('JSON string', { raw: '"order"', headers: json });
  post('JSON number', { raw: '42', headers: json });
  post('empty object', { body: {} });
  post('items not an array', { body: { ...order, items: 'all of them' } });
  post('no items', { body: { ...order, items: [] } });
  post('quantity as string', { body: withItem({ sku: ctx.sku, quantity: '1' }) });
  post('quantity fractional', { body: withItem({ sku: ctx.sku, quantity: 1.5 }) });
  post('quantity boolean', { body: withItem({ sku: ctx.sku, quantity: true }) });
  post('quantity zero', { body: withItem({ sku: ctx.sku, quantity: 0 }) });
  post('quantity negative', { body: withItem({ sku: ctx.sku, quantity: -1 }) });
  post('quantity 1001', { body: withItem({ sku: ctx.sku, quantity: 1001 }) });
  post('quantity 1e308', { body: withItem({ sku: ctx.sku, quantity: 1e308 }) });
  const literal = (text: string) =>
    JSON.stringify(withItem({ sku: ctx.sku, quantity: 7 })).replace('"quantity":7', `"quantity":${text}`);
  post('quantity 2^53+1 literal', { raw: literal('9007199254740993'), headers: json });
  post('quantity 1e999 literal', { raw: literal('1e999'), headers: json });
  post('quantity NaN literal', { raw: literal('NaN'), headers: json });
  post('sku as number', { body: withItem({ sku: 123, quantity: 1 }) });
  post('duplicate SKUs', {
    body: {
      ...order,
      items: [
        { sku: ctx.sku, quantity: 1 },
        { sku: ctx.sku, quantity: 2 },
      ],
    },
  });
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
  post('101 items', { body: { ...order, items: items(101) } });
  post('10k items', { body: { ...order, items: items(10_000) } });
  post('oversize body (200 kB)', {
    body: { ...order, shippingAddress: { ...address, line2: 'x'.repeat(200_000) } },
  });
  // 30k levels in 60 kB: under the body limit, deeper than any recursive walk's stack
  post('deeply nested arrays', {
    raw: `{"items":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
    headers: json,
  });
  post('deeply nested objects', { raw: `${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}`, headers: json });
}

/** Other content types. */
function contentTypes(post: Post, ctx: HostileContext): void {
  post('text/plain', { raw: JSON.stringify(validOrder(ctx)), headers: { 'content-type': 'text/plain' } });
  post('form-urlencoded', {
    raw: 'items=1&shippingAddress=2',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  post('multipart', {
    raw: '--x\r\nContent-Disposition: form-data; name="items"\r\n\r\n1\r\n--x--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
  });
  post('application/xml', { raw: '<order/>', headers: { 'content-type': 'application/xml' } });
}

/** Fields the contract does not have, prototype pollution, injection and bad addresses. */
function fields(post: Post, ctx: HostileContext): void {
  const order = validOrder(ctx);
  const withItem = (item: Record<string, unknown>) => ({ ...order, items: [item] });
  const injected = (from: string, to: string) => ({
    raw: JSON.stringify(order).replace(from, to),
    headers: json,
  });
  post('unknown top-level field', { body: { ...order, discount: 100 } });
  post('client-chosen price', { body: withItem({ sku: ctx.sku, quantity: 1, unitPrice: 1 }) });
  post('client-chosen total', { body: { ...order, total: 1 } });
  post('__proto__ field', {
    raw: JSON.stringify(order).replace(/^\{/, '{"__proto__":{"role":"admin","isAdmin":true},'),
    headers: json,
  });
  post('constructor.prototype field', {
    raw: JSON.stringify(order).replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},'),
    headers: json,
  });
  post('__proto__ in an item', injected(`{"sku"`, `{"__proto__":{"quantity":1},"sku"`));
  post('__proto__ in the address', injected(`{"name"`, `{"__proto__":{"country":"US"},"name"`));
  post('SQL in sku', { body: withItem({ sku: "' OR 1=1; --", quantity: 1 }) });
  post('SQL in customerId', { body: { ...order, customerId: "x' OR '1'='1" } });
  post('NUL in name', { body: { ...order, shippingAddress: { ...address, name: 'Eve\u0000' } } });
  post('control chars in city', {
    body: { ...order, shippingAddress: { ...address, city: 'a\u0007\u001b[2Jb' } },
  });
  post('newline in sku', { body: withItem({ sku: 'SKU\nX', quantity: 1 }) });
  post('country not ISO', { body: { ...order, shippingAddress: { ...address, country: 'USA' } } });
  post('country lower case', { body: { ...order, shippingAddress: { ...address, country: 'us' } } });
  post('address missing', { body: { items: order.items } });
  post('unknown SKU', { body: withItem({ sku: `NO-SUCH-${randomUUID().slice(0, 8)}`, quantity: 1 }) });
}

export function orderBodyCases(ctx: HostileContext): HostileCase[] {
  const t = ctx.attacker.token;
  const order = validOrder(ctx);
  return collect((add) => {
    const post: Post = (name, opts) =>
      add(`POST /orders: ${name}`, 'POST', '/orders', { token: t, idempotencyKey: key(), ...opts });
    shapes(post, ctx);
    contentTypes(post, ctx);
    fields(post, ctx);
    add('POST /orders: no Idempotency-Key', 'POST', '/orders', { token: t, body: order });
    post('Idempotency-Key 256 chars', { idempotencyKey: 'k'.repeat(256), body: order });
    post('Idempotency-Key with spaces', { idempotencyKey: 'a b', body: order });
    post('Idempotency-Key with SQL', {
      idempotencyKey: "k'; DROP TABLE gateway.idempotency_keys;--",
      body: order,
    });
    post('Idempotency-Key empty', { idempotencyKey: '', body: order });
  });
}
