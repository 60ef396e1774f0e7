/**
 * Request validation of the gateway against a real stack (test/support/api-stack.ts: Temporal dev server,
 * Postgres, the four workers running the real saga): every malformed request is answered 4xx problem+json
 * and writes nothing, by example and by property (fast-check). One outcome per test: the answers and the
 * absence of writes are separate tests, each on its own requests, and "nothing written" is read once the
 * requests were answered and Temporal's visibility has caught up (a marker workflow listed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Response } from 'supertest';
import request from 'supertest';
import { PROBLEM_BASE } from './problem';
import {
  ADDRESS,
  bearer,
  fresh,
  orderBody,
  startApiStack,
  type ApiStack,
  type Customer,
} from '../../test/support/api-stack';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

/** The bad POST /orders requests (and one bad path) by name, with the status each must get. */
function badRequests(sku: string, c: Customer): [string, () => request.Test, number][] {
  const post = () => request(api.app).post('/orders').set(bearer(c.token)).set('Idempotency-Key', fresh('k'));
  return [
    ['text/plain', () => post().set('Content-Type', 'text/plain').send('hello'), 415],
    ['form', () => post().type('form').send('a=1'), 415],
    ['too large', () => post().send({ ...orderBody(sku), pad: 'x'.repeat(110_000) }), 413],
    ['malformed', () => post().set('Content-Type', 'application/json').send('{"items": ['), 400],
    ['unknown field', () => post().send({ ...orderBody(sku), discount: 50 }), 400],
    [
      '__proto__',
      () => post().set('Content-Type', 'application/json').send(`{"__proto__":{"admin":true},"items":[]}`),
      400,
    ],
    ['constructor', () => post().send({ ...orderBody(sku), constructor: { prototype: 1 } }), 400],
    ['quantity 0', () => post().send(orderBody(sku, 0)), 400],
    ['no key', () => request(api.app).post('/orders').set(bearer(c.token)).send(orderBody(sku)), 400],
    [
      'bad key',
      () =>
        request(api.app)
          .post('/orders')
          .set(bearer(c.token))
          .set('Idempotency-Key', 'a b')
          .send(orderBody(sku)),
      400,
    ],
    ['unknown SKU', () => post().send(orderBody(fresh('NOPE'))), 422],
    [
      'nested 40000 deep',
      () =>
        post()
          .set('Content-Type', 'application/json')
          .send(`${'['.repeat(4e4)}${']'.repeat(4e4)}`),
      400,
    ],
    ['bad percent-encoding', () => request(api.app).get('/orders/%E0%A4%A').set(bearer(c.token)), 400],
    [
      'bad country',
      () => post().send({ ...orderBody(sku), shippingAddress: { ...ADDRESS, country: 'XX' } }),
      400,
    ],
  ];
}
const CASE_NAMES = badRequests('SKU', { id: 'c', token: 't' }).map(
  ([name, , status]) => [name, status] as const,
);

describe('request validation: each bad request, sent once by one customer', () => {
  let c: Customer;
  let sku: string;
  const answers = new Map<string, Response>();
  let invalid: Response;
  before(async () => {
    sku = (await api.newItem()).sku;
    c = await api.newCustomer();
    for (const [name, send] of badRequests(sku, c)) answers.set(name, await send());
    invalid = await request(api.app)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ ...orderBody(sku), items: [{ sku, quantity: 'one' }] });
  });

  for (const [name, status] of CASE_NAMES) {
    it(`${name}: ${status} problem+json`, () => {
      const res = answers.get(name)!;
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/, name);
      assert.equal(res.body.status, status);
    });
  }

  it('a field of the wrong type is named by its path', () => {
    assert.deepEqual(invalid.body.errors, [
      { path: 'items.0.quantity', message: invalid.body.errors[0].message },
    ]);
  });

  it('nothing is written: no key row, no workflow', async () => {
    assert.equal(await api.gatewayRows(c.id), 0);
    assert.equal(await api.workflowsOf(c.id), 0);
  });
});

describe('request validation: GET /orders with a query it cannot answer is 400', () => {
  const forged = Buffer.from(JSON.stringify(['1', "x' OR 1=1"])).toString('base64url');
  for (const [name, query] of [
    ['limit 0', { limit: '0' }],
    ['limit 101', { limit: '101' }],
    ['a garbage cursor', { cursor: 'garbage' }],
    ['a forged cursor', { cursor: forged }],
    ['a status that is not an order status', { status: 'SHIPPED' }],
  ] as const) {
    it(name, async () => {
      const c = await api.newCustomer(0);
      await request(api.app).get('/orders').query(query).set(bearer(c.token)).expect(400);
    });
  }
});

/** Random corruptions of a valid POST /orders: body, fields, quantities, items, content type, key, auth. */
function corruptions(sku: string) {
  const valid = orderBody(sku);
  const printable = fc.string({ minLength: 0, maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
  return fc.oneof(
    fc.jsonValue().map((v) => ({ body: JSON.stringify(v) })),
    fc.string().map((s) => ({ body: s })),
    fc
      .record({
        k: fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'customerId'),
        v: fc.jsonValue(),
      })
      .map(({ k, v }) => ({
        body: JSON.stringify(valid).replace(/^\{/, `{${JSON.stringify(k)}:${JSON.stringify(v)},`),
      })),
    fc
      .oneof(
        fc.integer({ min: -1e6, max: 0 }),
        fc.integer({ min: 1001, max: Number.MAX_SAFE_INTEGER }),
        fc.double({ noInteger: true }),
        fc.constant(1e308),
        fc.string(),
        fc.constant(null),
      )
      .map((quantity) => ({ body: JSON.stringify({ ...valid, items: [{ sku, quantity }] }) })),
    fc.array(fc.constant({ sku, quantity: 1 }), { minLength: 2, maxLength: 120 }).map((items) => ({
      body: JSON.stringify({ ...valid, items }),
    })),
    fc.string().map((s) => ({ body: JSON.stringify({ ...valid, items: [{ sku: s, quantity: 1 }] }) })),
    fc.record({ contentType: printable }).map(({ contentType }) => ({
      body: JSON.stringify(valid),
      contentType: contentType.includes('json') ? 'text/plain' : contentType || 'text/plain',
    })),
    printable.map((key) => ({ body: JSON.stringify(valid), key: key === '' ? '' : `k/${key}` })),
    printable.map((auth) => ({ body: JSON.stringify(valid), auth })),
  );
}
type Corruption = { body: string; contentType?: string; key?: string; auth?: string };

function sendCorrupted(c: Customer, input: Corruption) {
  let req = request(api.app)
    .post('/orders')
    .set('Authorization', input.auth ?? `Bearer ${c.token}`)
    .set('Content-Type', input.contentType ?? 'application/json');
  if (input.key !== '') req = req.set('Idempotency-Key', input.key ?? fresh('k'));
  return req.send(input.body);
}

describe('request validation, by property: random malformed POST /orders bodies and headers', () => {
  it('never get a 5xx: every answer is 4xx', async () => {
    const sku = (await api.newItem()).sku;
    const c = await api.newCustomer();
    await fc.assert(
      fc.asyncProperty(corruptions(sku), async (input: Corruption) => {
        const res = await sendCorrupted(c, input);
        assert.ok(
          res.status >= 400 && res.status < 500,
          `${res.status} for ${JSON.stringify(input).slice(0, 300)}`,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('write nothing: no key row, no workflow, no stock reserved', async () => {
    const sku = (await api.newItem()).sku;
    const c = await api.newCustomer();
    for (const input of fc.sample(corruptions(sku), 150)) await sendCorrupted(c, input);
    assert.equal(await api.gatewayRows(c.id), 0);
    assert.equal(await api.workflowsOf(c.id), 0);
    const stock = await request(api.app).get(`/inventory/${sku}`).set(bearer(c.token)).expect(200);
    assert.equal(stock.body.reserved, 0);
  });
});

/** Random path parameters on every route with one, as GET or (with a key and an empty body) POST. */
const randomPaths = () =>
  fc.tuple(
    fc.constantFrom('/orders/', '/accounts/', '/inventory/'),
    fc
      .string({ minLength: 1, maxLength: 80, unit: 'binary' })
      .map((s) => s.replace(/[^\x21-\x7e]|[#?/]/g, ''))
      .filter((s) => s.length > 0),
    fc.constantFrom('', '/events', '/cancel', '/restock', '/deposits'),
  );

function sendPath(c: Customer, [prefix, id, suffix]: [string, string, string]) {
  const url = `${prefix}${id}${suffix}`;
  const isPost = suffix === '/cancel' || suffix === '/restock' || suffix === '/deposits';
  const sent = isPost
    ? request(api.app)
        .post(url)
        .set(bearer(c.token))
        .set('Idempotency-Key', fresh('k'))
        .set('Content-Type', 'application/json')
        .send('{}')
    : request(api.app).get(url).set(bearer(c.token));
  return { what: `${isPost ? 'POST' : 'GET'} ${url}`, sent };
}

describe('request validation, by property: random path parameters', () => {
  it('never get a 5xx', async () => {
    const c = await api.newCustomer(0);
    await fc.assert(
      fc.asyncProperty(randomPaths(), async (path) => {
        const { what, sent } = sendPath(c, path);
        const res = await sent;
        assert.ok(res.status < 500, `${res.status} for ${what}: ${res.text.slice(0, 200)}`);
      }),
      { numRuns: 100 },
    );
  });

  it('write no key row', async () => {
    const c = await api.newCustomer(0);
    for (const path of fc.sample(randomPaths(), 100)) await sendPath(c, path).sent;
    assert.equal(await api.gatewayRows(c.id), 0);
  });
});

describe('a deployment without the bus (BUS_ENABLED=false; the workers run no Kafka sink or consumer)', () => {
  let c: Customer;
  let sku: string;
  let choreographed: Response;
  before(async () => {
    sku = (await api.newItem()).sku;
    c = await api.newCustomer();
    choreographed = await request(api.busOffApp)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .send({ ...orderBody(sku), coordination: 'choreography' });
  });

  it('a choreographed order is refused: 501 bus-disabled problem+json naming BUS_ENABLED', () => {
    assert.equal(choreographed.status, 501, choreographed.text.slice(0, 200));
    assert.match(choreographed.headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.equal(choreographed.body.type, PROBLEM_BASE + 'bus-disabled');
    assert.match(choreographed.body.detail as string, /BUS_ENABLED=false/);
  });

  it('the refused order wrote nothing: no key row, no workflow, no order event', async () => {
    assert.equal(await api.gatewayRows(c.id), 0);
    assert.equal(await api.workflowsOf(c.id), 0);
    const events = await api.stack.pool.query(`SELECT 1 FROM orders.events WHERE data->>'customerId' = $1`, [
      c.id,
    ]);
    assert.equal(events.rowCount, 0);
  });

  it('the read models fed from the bus answer 501: the order timeline and the per-SKU demand', async () => {
    const timeline = await request(api.busOffApp)
      .get(`/orders/${fresh('o')}/timeline`)
      .set(bearer(c.token));
    const demand = await request(api.busOffApp).get(`/inventory/${sku}/demand`).set(bearer(c.token));
    assert.deepEqual(
      [timeline.status, timeline.body.type, demand.status, demand.body.type],
      [501, PROBLEM_BASE + 'bus-disabled', 501, PROBLEM_BASE + 'bus-disabled'],
    );
  });

  it('an orchestrated order completes as with the bus', async () => {
    const other = await api.newCustomer();
    const res = await request(api.busOffApp)
      .post('/orders')
      .set(bearer(other.token))
      .set('Idempotency-Key', fresh('k'))
      .send(orderBody(sku))
      .expect(202);
    await api.sagaEnd(res.body.workflowId as string);
    const order = await request(api.busOffApp).get(`/orders/${res.body.orderId}`).set(bearer(other.token));
    assert.equal(order.body.status, 'COMPLETED');
  });
});
