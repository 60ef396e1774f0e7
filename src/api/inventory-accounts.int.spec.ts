/* eslint-disable @typescript-eslint/no-unsafe-call -- supertest bodies are untyped JSON */
/**
 * The catalog and the accounts through the gateway, against a real stack (test/support/api-stack.ts:
 * Temporal dev server, Postgres, the four workers running the real saga): PUT /inventory creates then
 * updates, a restock adds stock once per Idempotency-Key, a deposit shows in the balance, the events and
 * the balance as of a past instant, and only to its owner. One outcome per test; each describe acts once
 * in `before`, on fresh SKUs and customers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import request from 'supertest';
import { eventually } from '../../test/support/eventually';
import { bearer, fresh, startApiStack, type ApiStack, type Customer } from '../../test/support/api-stack';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

describe('PUT /inventory/{sku} and a restock under one Idempotency-Key sent twice', () => {
  let sku: string;
  let created: Response;
  let updated: Response;
  let first: Response;
  let again: Response;
  before(async () => {
    sku = fresh('SKU');
    created = await request(api.app)
      .put(`/inventory/${sku}`)
      .set(bearer(api.admin))
      .send({ name: 'Mug', price: 999 });
    updated = await request(api.app)
      .put(`/inventory/${sku}`)
      .set(bearer(api.admin))
      .send({ name: 'Mug', price: 1099 });
    const key = fresh('restock');
    first = await request(api.app)
      .post(`/inventory/${sku}/restock`)
      .set(bearer(api.admin))
      .set('Idempotency-Key', key)
      .send({ quantity: 7 })
      .expect(200);
    again = await request(api.app)
      .post(`/inventory/${sku}/restock`)
      .set(bearer(api.admin))
      .set('Idempotency-Key', key)
      .send({ quantity: 7 })
      .expect(200);
  });

  it('the first PUT creates the entry: 201 with no stock', () => {
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { sku, name: 'Mug', price: 999, available: 0, reserved: 0 });
  });

  it('the second PUT updates it: 200 with the new price', () => {
    assert.equal(updated.status, 200);
    assert.equal(updated.body.price, 1099);
  });

  it('the restock sent again under its key answers the first answer', () => {
    assert.equal(again.text, first.text);
  });

  it('a customer reads the entry with the stock added once', async () => {
    const c = await api.newCustomer(0);
    const read = await request(api.app).get(`/inventory/${sku}`).set(bearer(c.token)).expect(200);
    assert.deepEqual(read.body, { sku, name: 'Mug', price: 1099, available: 7, reserved: 0 });
  });
});

describe('an unknown SKU', () => {
  it('GET /inventory/{sku} answers 404', async () => {
    const c = await api.newCustomer(0);
    await request(api.app)
      .get(`/inventory/${fresh('NOPE')}`)
      .set(bearer(c.token))
      .expect(404);
  });

  it('POST /inventory/{sku}/restock answers 404', async () => {
    await request(api.app)
      .post(`/inventory/${fresh('NOPE')}/restock`)
      .set(bearer(api.admin))
      .set('Idempotency-Key', fresh('k'))
      .send({ quantity: 1 })
      .expect(404);
  });
});

describe('a deposit to a new account', () => {
  let c: Customer;
  let beforeDeposit: string;
  let dep: Response;
  before(async () => {
    c = await api.newCustomer(0);
    beforeDeposit = new Date().toISOString();
    // the deposit is recorded after `beforeDeposit`: the clock has moved past it (same clock, finer than ms)
    await eventually(() => assert.ok(Date.now() > Date.parse(beforeDeposit)), { intervalMs: 1 });
    dep = await request(api.app)
      .post(`/accounts/${c.id}/deposits`)
      .set(bearer(api.admin))
      .set('Idempotency-Key', fresh('dep'))
      .send({ amount: 5000 });
  });

  it('answers 201 with the new balance and version', () => {
    assert.equal(dep.status, 201);
    assert.deepEqual(dep.body, { customerId: c.id, balance: 5000, version: 1 });
  });

  it('shows in the balance', async () => {
    const now = await request(api.app).get(`/accounts/${c.id}`).set(bearer(c.token)).expect(200);
    assert.deepEqual(now.body, { customerId: c.id, balance: 5000, currency: 'USD', version: 1 });
  });

  it('is not in the balance as of an instant before it', async () => {
    const past = await request(api.app)
      .get(`/accounts/${c.id}`)
      .query({ asOf: beforeDeposit })
      .set(bearer(c.token))
      .expect(200);
    assert.equal(past.body.balance, 0);
  });

  it('is the account’s one event, version 1', async () => {
    const events = await request(api.app).get(`/accounts/${c.id}/events`).set(bearer(c.token)).expect(200);
    assert.deepEqual(
      events.body.items.map((e: { version: number }) => e.version),
      [1],
    );
  });

  it('another customer reads 404 for the account and its events', async () => {
    const other = await api.newCustomer(0);
    await request(api.app).get(`/accounts/${c.id}`).set(bearer(other.token)).expect(404);
    await request(api.app).get(`/accounts/${c.id}/events`).set(bearer(other.token)).expect(404);
  });

  it('a balance as of something that is not an instant it can answer is 400', async () => {
    await request(api.app)
      .get(`/accounts/${c.id}`)
      .query({ asOf: 'yesterday' })
      .set(bearer(c.token))
      .expect(400);
    await request(api.app)
      .get(`/accounts/${c.id}`)
      .query({ asOf: '0000-01-01T00:00:00Z' })
      .set(bearer(c.token))
      .expect(400);
  });
});
