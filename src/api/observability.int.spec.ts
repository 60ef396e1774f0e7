/**
 * GET /metrics of the gateway against a real stack (test/support/api-stack.ts: Temporal dev server,
 * Postgres, the four workers running the real saga, their metrics served on a loopback port, next to a
 * worker address where nothing listens). The test makes the requests it then finds counted: a GET /health
 * (200) and a POST /orders as text/plain (415). One outcome per test, all on one scrape taken after them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { bearer, fresh, startApiStack, type ApiStack } from '../../test/support/api-stack';

let api: ApiStack;
before(async () => {
  api = await startApiStack();
});
after(async () => {
  await api?.stop();
});

describe('GET /metrics, after a GET /health and a POST /orders refused as text/plain', () => {
  let status: number;
  let text: string;
  before(async () => {
    await request(api.app).get('/health');
    const c = await api.newCustomer(0);
    await request(api.app)
      .post('/orders')
      .set(bearer(c.token))
      .set('Idempotency-Key', fresh('k'))
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
    const res = await request(api.app).get('/metrics');
    status = res.status;
    text = res.text;
  });

  it('answers 200 although one worker does not answer', () => {
    assert.equal(status, 200);
  });

  it('counts requests by method, route and status', () => {
    assert.match(text, /http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    assert.match(text, /http_requests_total\{method="POST",route="\/orders",status="415"\} \d+/);
  });

  it('has request latency by route', () => {
    assert.match(text, /http_request_duration_seconds_bucket\{[^}]*route="\/orders"/);
  });

  it('includes the live worker’s saga metrics, labelled by its address', () => {
    assert.match(text, /source="127\.0\.0\.1:\d+"/);
  });

  it('counts the failed scrape of the missing worker', () => {
    assert.match(text, /gateway_worker_metrics_scrapes_total\{source="127\.0\.0\.1:9",outcome="error"\}/);
  });
});
