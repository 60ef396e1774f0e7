/**
 * The hostile-input battery: requests against every endpoint that the contract (issue 5) says must be
 * refused. Each must be answered 4xx, never 5xx nor 2xx, and none may write anything (the suite compares
 * row counts and workflow counts before and after).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { SignJWT } from 'jose';
import type { Pool } from 'pg';
import { mintToken } from '../src/api/tokens';
import type { RequestOptions } from './http';
import { SCHEMAS } from './oracle/snapshot';

export interface HostileCase {
  name: string;
  method: string;
  path: string;
  opts: RequestOptions;
}

export interface HostileContext {
  jwtSecret: string;
  admin: string;
  /** the attacker: a customer with a valid token */
  attacker: { id: string; token: string };
  /** another customer and one of their orders */
  victim: { id: string; orderId: string };
  /** a SKU in the catalog */
  sku: string;
}

const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
const key = () => `hostile-${randomUUID()}`;

const address = { name: 'Eve', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

export async function hostileCases(ctx: HostileContext): Promise<HostileCase[]> {
  const future = Math.floor(Date.now() / 1000) + 3600;
  const secretKey = new TextEncoder().encode(ctx.jwtSecret);
  const tokens: Record<string, string | undefined> = {
    'no token': undefined,
    'alg none admin': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', role: 'admin', exp: future })}.`,
    'forged admin (wrong secret)': await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setExpirationTime(future)
      .sign(new TextEncoder().encode('not-the-secret-not-the-secret-not-the-secret')),
    'expired admin': await mintToken(ctx.jwtSecret, {
      sub: 'admin',
      role: 'admin',
      ttlSeconds: 60,
      now: new Date(Date.now() - 3_600_000),
    }),
    'unknown role': await new SignJWT({ role: 'superuser' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setExpirationTime(future)
      .sign(secretKey),
    'no exp': await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .sign(secretKey),
    'sub with SQL': await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject("x'; DROP TABLE payments.events; --")
      .setExpirationTime(future)
      .sign(secretKey),
    'garbage token': 'not.a.jwt',
  };

  const order = { items: [{ sku: ctx.sku, quantity: 1 }], shippingAddress: address };
  const me = ctx.attacker;
  const v = ctx.victim;
  const cases: HostileCase[] = [];
  const add = (name: string, method: string, path: string, opts: RequestOptions) =>
    cases.push({ name, method, path, opts });

  // ---- every endpoint with every bad credential (otherwise valid requests, fresh keys) --------------------
  const endpoints: { method: string; path: string; body?: unknown }[] = [
    { method: 'POST', path: '/orders', body: order },
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

  // ---- another customer's data and admin-only routes with a customer token -------------------------------
  const t = me.token;
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
    body: { ...order, customerId: v.id },
    idempotencyKey: key(),
  });
  add('customer deposits to self', 'POST', `/accounts/${me.id}/deposits`, {
    token: t,
    body: { amount: 100 },
    idempotencyKey: key(),
  });
  add('customer edits catalog', 'PUT', `/inventory/${ctx.sku}`, { token: t, body: { name: 'x', price: 1 } });
  add('customer restocks', 'POST', `/inventory/${ctx.sku}/restock`, {
    token: t,
    body: { quantity: 5 },
    idempotencyKey: key(),
  });

  // ---- POST /orders bodies -----------------------------------------------------------------------------
  const post = (name: string, opts: RequestOptions) =>
    add(`POST /orders: ${name}`, 'POST', '/orders', { token: t, idempotencyKey: key(), ...opts });
  const withItem = (item: Record<string, unknown>) => ({ ...order, items: [item] });
  const json = { 'content-type': 'application/json' };
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
  post('quantity 2^53+1 literal', {
    raw: JSON.stringify(withItem({ sku: ctx.sku, quantity: 7 })).replace(
      '"quantity":7',
      '"quantity":9007199254740993',
    ),
    headers: json,
  });
  post('quantity 1e999 literal', {
    raw: JSON.stringify(withItem({ sku: ctx.sku, quantity: 7 })).replace('"quantity":7', '"quantity":1e999'),
    headers: json,
  });
  post('quantity NaN literal', {
    raw: JSON.stringify(withItem({ sku: ctx.sku, quantity: 7 })).replace('"quantity":7', '"quantity":NaN'),
    headers: json,
  });
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
  post('101 items', {
    body: { ...order, items: Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })) },
  });
  post('10k items', {
    body: { ...order, items: Array.from({ length: 10_000 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })) },
  });
  post('oversize body (200 kB)', {
    body: { ...order, shippingAddress: { ...address, line2: 'x'.repeat(200_000) } },
  });
  // 30k levels in 60 kB: under the body limit, deeper than any recursive walk's stack
  post('deeply nested arrays', {
    raw: `{"items":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
    headers: json,
  });
  post('deeply nested objects', { raw: `${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}`, headers: json });
  post('text/plain', { raw: JSON.stringify(order), headers: { 'content-type': 'text/plain' } });
  post('form-urlencoded', {
    raw: 'items=1&shippingAddress=2',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  post('multipart', {
    raw: '--x\r\nContent-Disposition: form-data; name="items"\r\n\r\n1\r\n--x--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
  });
  post('application/xml', { raw: '<order/>', headers: { 'content-type': 'application/xml' } });
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
  post('__proto__ in an item', {
    raw: JSON.stringify(order).replace(`{"sku"`, `{"__proto__":{"quantity":1},"sku"`),
    headers: json,
  });
  post('__proto__ in the address', {
    raw: JSON.stringify(order).replace(`{"name"`, `{"__proto__":{"country":"US"},"name"`),
    headers: json,
  });
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
  add('POST /orders: no Idempotency-Key', 'POST', '/orders', { token: t, body: order });
  post('Idempotency-Key 256 chars', { idempotencyKey: 'k'.repeat(256), body: order });
  post('Idempotency-Key with spaces', { idempotencyKey: 'a b', body: order });
  post('Idempotency-Key with SQL', {
    idempotencyKey: "k'; DROP TABLE gateway.idempotency_keys;--",
    body: order,
  });
  post('Idempotency-Key empty', { idempotencyKey: '', body: order });

  // ---- the other endpoints' parameters -----------------------------------------------------------------
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
  add('inventory SQL sku', 'GET', `/inventory/${encodeURIComponent("x' OR '1'='1")}`, { token: t });
  add('inventory unknown sku', 'GET', '/inventory/NO-SUCH-SKU-EVER', { token: t });
  add('DELETE an order', 'DELETE', `/orders/${v.orderId}`, { token: ctx.admin });
  add('PATCH an item', 'PATCH', `/inventory/${ctx.sku}`, { token: ctx.admin, body: { price: 1 } });
  add('unknown route', 'POST', '/admin/reset', { token: ctx.admin, body: {}, idempotencyKey: key() });
  return cases;
}

/** A small, representative battery for the short mode: every endpoint and every kind of abuse once. */
export function smallBattery(all: HostileCase[]): HostileCase[] {
  const seen = new Set<string>();
  return all.filter((c) => {
    const kind = c.name.split(':')[0]!;
    const k = /^(no token|alg none|forged|expired|unknown role|no exp|sub with SQL|garbage token)/.test(kind)
      ? kind
      : c.name;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Row counts of every table a write would add to, and the number of workflows (hostile: nothing written). */
export async function writeFootprint(pool: Pool, temporal: Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of SCHEMAS) {
    for (const t of ['events', 'outbox', 'snapshots']) {
      const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.${t}`);
      out[`${s}.${t}`] = r.rows[0]!.n;
    }
  }
  const k = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM gateway.idempotency_keys');
  out['gateway.idempotency_keys'] = k.rows[0]!.n;
  out.workflows = (await temporal.workflow.count('')).count;
  return out;
}
