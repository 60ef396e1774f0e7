/**
 * Authentication and authorisation of the gateway against a real stack (test/support/api-stack.ts: Temporal
 * dev server, Postgres, the four workers running the real saga): every bad bearer token is answered 401
 * problem+json, admin-only routes 403 to a customer, and the probes and the contract need no token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { bearer, fresh, SECRET, startApiStack, type ApiStack } from '../../test/support/api-stack';
import { openApiDocument } from './openapi';
import { mintToken } from './tokens';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

/** Each way a request can fail to authenticate, as its Authorization header (undefined: none at all). */
const BAD_AUTH: [string, () => Promise<string | undefined>][] = [
  ['a missing token', () => Promise.resolve(undefined)],
  ['a Basic scheme', () => Promise.resolve('Basic abc')],
  ['a Bearer without a token', () => Promise.resolve('Bearer')],
  [
    'a token signed with another secret',
    async () => `Bearer ${await mintToken(`${SECRET}-other`, { sub: 'c', role: 'admin' })}`,
  ],
  [
    'an expired token',
    async () =>
      `Bearer ${await mintToken(SECRET, { sub: 'c', role: 'admin', now: new Date(Date.now() - 7200_000) })}`,
  ],
  [
    'an unsigned token (alg none)',
    () =>
      Promise.resolve(
        `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
          JSON.stringify({ sub: 'c', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }),
        ).toString('base64url')}.`,
      ),
  ],
];

describe('authentication: a request without a valid bearer token', () => {
  for (const [name, authorization] of BAD_AUTH) {
    it(`answers 401 problem+json for ${name}`, async () => {
      const auth = await authorization();
      const req = request(api.app).get('/inventory/SKU-1');
      const res = await (auth ? req.set('Authorization', auth) : req);
      assert.equal(res.status, 401, String(auth));
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
      assert.equal(res.body.status, 401);
      assert.ok(res.body.type && res.body.title && res.body.detail);
    });
  }
});

describe('authorisation: admin-only routes answer 403 to a customer', () => {
  it('PUT /inventory/{sku}', async () => {
    const c = await api.newCustomer(0);
    await request(api.app)
      .put('/inventory/SKU-X')
      .set(bearer(c.token))
      .send({ name: 'x', price: 1 })
      .expect(403);
  });

  it('POST /accounts/{customerId}/deposits, to the customer’s own account', async () => {
    const c = await api.newCustomer(0);
    await request(api.app)
      .post(`/accounts/${c.id}/deposits`)
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ amount: 100 })
      .expect(403);
  });

  it('POST /inventory/{sku}/restock', async () => {
    const c = await api.newCustomer(0);
    await request(api.app)
      .post('/inventory/SKU-X/restock')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ quantity: 1 })
      .expect(403);
  });
});

describe('what needs no token', () => {
  it('GET /health answers ok, every check ok', async () => {
    const health = await request(api.app).get('/health').expect(200);
    assert.equal(health.body.status, 'ok');
    for (const name of ['postgres', 'temporal', 'eventStore', 'relay', 'projections']) {
      assert.equal(health.body.checks[name]?.ok, true, name);
    }
  });

  it('GET /openapi.json answers the OpenAPI document', async () => {
    const doc = await request(api.app).get('/openapi.json').expect(200);
    assert.deepEqual(doc.body, openApiDocument());
  });

  it('GET /metrics answers 200', async () => {
    await request(api.app).get('/metrics').expect(200);
  });
});
