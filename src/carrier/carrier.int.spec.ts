import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../test/support/eventually';
import { startCarrierServer, type CarrierServer } from './app';
import { BrokenCircuitError, CarrierFailed, createCarrierClient, type BreakerStateName } from './client';

describe('simulated carrier and its circuit-broken client', () => {
  let carrier: CarrierServer;
  before(async () => {
    carrier = await startCarrierServer({});
  });
  after(async () => {
    await carrier.close();
  });

  const booking = (key: string) => ({ key, orderId: key, country: 'GB', postalCode: 'N1', parcels: 1 });

  it('books idempotently: the same key returns the same tracking number', async () => {
    const client = createCarrierClient({ url: carrier.url, timeoutMs: 5000 });
    const a = await client.book(booking('k-1'));
    const b = await client.book(booking('k-1'));
    const c = await client.book(booking('k-2'));
    assert.equal(a.trackingNumber, b.trackingNumber);
    assert.notEqual(a.trackingNumber, c.trackingNumber);
    const res = await fetch(`${carrier.url}/bookings/k-1`);
    assert.equal(((await res.json()) as { trackingNumber: string }).trackingNumber, a.trackingNumber);
  });

  it('serves /health and changes behaviour at run time through PUT /admin/behaviour', async () => {
    assert.equal((await fetch(`${carrier.url}/health`)).status, 200);
    const put = await fetch(`${carrier.url}/admin/behaviour`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failureRate: 1, latencyMs: 5 }),
    });
    assert.deepEqual(await put.json(), { failureRate: 1, latencyMs: 5 });
    const res = await fetch(`${carrier.url}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(booking('k-3')),
    });
    assert.equal(res.status, 503);
    const bad = await fetch(`${carrier.url}/admin/behaviour`, { method: 'PUT', body: '{"failureRate":2}' });
    assert.equal(bad.status, 400);
    carrier.behaviour.failureRate = 0;
    carrier.behaviour.latencyMs = 0;
  });

  it('opens the breaker after consecutive failures, fails fast while open, and closes after recovery', async () => {
    const states: BreakerStateName[] = [];
    const client = createCarrierClient({
      url: carrier.url,
      timeoutMs: 5000,
      failureThreshold: 3,
      halfOpenAfterMs: 200,
      onStateChange: (s) => states.push(s),
    });
    carrier.behaviour.failureRate = 1;
    for (let i = 0; i < 3; i++) await assert.rejects(client.book(booking(`f-${i}`)), CarrierFailed);
    assert.equal(client.state, 'open');
    const before = carrier.stats.requests;
    await assert.rejects(client.book(booking('f-x')), BrokenCircuitError);
    assert.equal(carrier.stats.requests, before, 'an open breaker does not call the carrier');

    carrier.behaviour.failureRate = 0;
    // until the half-open time has passed the open breaker refuses without calling the carrier; then one
    // trial goes through (a failed trial would re-open it and show in `states`)
    const ok = await eventually(() => client.book(booking('after')), {
      what: 'the breaker half-open',
      intervalMs: 20,
    });
    assert.match(ok.trackingNumber, /^TRK-/);
    assert.equal(client.state, 'closed');
    assert.deepEqual(states, ['open', 'halfOpen', 'closed']);
  });

  it('times out a slow carrier and counts it as a failure', async () => {
    const client = createCarrierClient({ url: carrier.url, timeoutMs: 50, failureThreshold: 1 });
    carrier.behaviour.latencyMs = 300;
    try {
      await assert.rejects(client.book(booking('slow')), CarrierFailed);
      assert.equal(client.state, 'open');
    } finally {
      carrier.behaviour.latencyMs = 0;
    }
  });
});
