import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { canonicalJson, requestFingerprint } from './idempotency';
import { mergeExpositions } from './metrics';
import { openApiDocument, openApiText } from './openapi';
import { CreateOrderRequest } from './schemas';
import { mintToken, verifyToken } from './tokens';
import { findForbiddenKeys } from './validation';
import { OPENAPI_FILE } from './write-openapi';

const SECRET = 'unit-test-secret-unit-test-secret-0123456789';

describe('OpenAPI document', () => {
  it('the committed docs/openapi.json equals the document generated from the schemas', () => {
    assert.deepEqual(
      JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')),
      JSON.parse(openApiText()),
      'docs/openapi.json is stale: run `node --import tsx src/api/write-openapi.ts`',
    );
  });

  it('is OpenAPI 3.1 with strict request schemas and every endpoint of the contract', () => {
    const doc = openApiDocument() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { additionalProperties?: boolean }> };
    };
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.components.schemas.CreateOrderRequest?.additionalProperties, false);
    const ops = Object.entries(doc.paths).flatMap(([p, m]) =>
      Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`),
    );
    for (const op of [
      'POST /orders',
      'GET /orders',
      'GET /orders/{orderId}',
      'GET /orders/{orderId}/events',
      'POST /orders/{orderId}/cancel',
      'GET /accounts/{customerId}',
      'GET /accounts/{customerId}/events',
      'POST /accounts/{customerId}/deposits',
      'PUT /inventory/{sku}',
      'POST /inventory/{sku}/restock',
      'GET /inventory/{sku}',
      'GET /health',
      'GET /metrics',
      'GET /openapi.json',
    ]) {
      assert.ok(ops.includes(op), `${op} is documented`);
    }
  });
});

describe('request schemas', () => {
  const order = {
    items: [{ sku: 'A-1', quantity: 2 }],
    shippingAddress: { name: 'N', line1: 'L', city: 'C', postalCode: '1', country: 'DE' },
  };
  it('accept a valid order and reject duplicate SKUs, unknown fields and unassigned countries', () => {
    assert.ok(CreateOrderRequest.safeParse(order).success);
    assert.ok(!CreateOrderRequest.safeParse({ ...order, items: [order.items[0], order.items[0]] }).success);
    assert.ok(!CreateOrderRequest.safeParse({ ...order, extra: 1 }).success);
    assert.ok(
      !CreateOrderRequest.safeParse({
        ...order,
        shippingAddress: { ...order.shippingAddress, country: 'XX' },
      }).success,
    );
  });
  it('prototype-polluting keys are found at any depth', () => {
    const body = JSON.parse('{"a":{"b":[{"__proto__":{"x":1}}]},"constructor":1}') as unknown;
    assert.deepEqual(
      findForbiddenKeys(body).map((e) => e.path),
      ['a.b.0.__proto__', 'constructor'],
    );
  });
});

describe('request fingerprints', () => {
  it('ignore key order and depend on method, path and body', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    const fp = requestFingerprint('POST', '/orders', { a: 1, b: 2 });
    assert.equal(fp, requestFingerprint('post', '/orders', { b: 2, a: 1 }));
    assert.notEqual(fp, requestFingerprint('POST', '/orders', { a: 1, b: 3 }));
    assert.notEqual(fp, requestFingerprint('POST', '/orderz', { a: 1, b: 2 }));
  });
});

describe('tokens', () => {
  it('a minted token verifies to its subject and role', async () => {
    const token = await mintToken(SECRET, { sub: 'cust-1', role: 'customer', ttlSeconds: 60 });
    assert.deepEqual(await verifyToken(SECRET, token), { sub: 'cust-1', role: 'customer' });
  });
  it('expired, badly signed, unsigned (alg none) and role-less tokens are refused', async () => {
    const past = new Date(Date.now() - 3600_000);
    const expired = await mintToken(SECRET, { sub: 'c', role: 'admin', ttlSeconds: 60, now: past });
    const otherKey = await mintToken(`${SECRET}x`, { sub: 'c', role: 'admin' });
    const none = new UnsecuredJWT({ role: 'admin' }).setSubject('c').setExpirationTime('1h').encode();
    const noRole = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('c')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    const noExp = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('c')
      .sign(new TextEncoder().encode(SECRET));
    for (const token of [expired, otherKey, none, noRole, noExp, 'not.a.jwt']) {
      await assert.rejects(verifyToken(SECRET, token), { name: 'InvalidTokenError' });
    }
  });
});

describe('metrics exposition merge', () => {
  it('keeps one HELP/TYPE per family and labels worker samples with their source', () => {
    const own = '# HELP x_total X\n# TYPE x_total counter\nx_total{a="1"} 2\n';
    const worker =
      '# HELP x_total X\n# TYPE x_total counter\nx_total 5\n# HELP h H\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n';
    const text = mergeExpositions([{ text: own }, { source: 'w:1', text: worker }]);
    assert.equal(text.match(/# TYPE x_total/g)?.length, 1);
    assert.match(text, /x_total\{source="w:1"\} 5/);
    assert.match(text, /x_total\{a="1"\} 2/);
    assert.match(text, /# TYPE h histogram\nh_bucket\{le="1",source="w:1"\} 1\nh_sum\{source="w:1"\} 1/);
  });
});
