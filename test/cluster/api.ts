/**
 * The cluster tests talk to the product only through its HTTP API, as a client would: an admin sets up a
 * fresh item and fresh customers for each test (so tests can run side by side), places orders for them on
 * either API instance, polls their state and cancels them. A request that gets no answer or a 503 (an API
 * instance that lost its Temporal connection while a node died) is retried with the same Idempotency-Key,
 * and counted: the failover test reports how many requests saw an error.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export class ClusterApi {
  /** requests that got no answer or a 5xx before a retry succeeded, by API instance */
  readonly errors = new Map<string, number>();

  constructor(
    readonly urls: string[],
    private readonly adminToken: string,
  ) {}

  async call(method: string, path: string, body?: unknown, opts: { via?: number; key?: string } = {}) {
    const url = this.urls[(opts.via ?? 0) % this.urls.length]!;
    const headers: Record<string, string> = { authorization: `Bearer ${this.adminToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['idempotency-key'] = opts.key ?? randomUUID();
    const deadline = Date.now() + 120_000;
    for (;;) {
      let answer: Answer | undefined;
      try {
        const res = await fetch(url + path, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        answer = { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      } catch {
        answer = undefined;
      }
      if (answer && answer.status < 500) return answer;
      this.errors.set(url, (this.errors.get(url) ?? 0) + 1);
      if (Date.now() > deadline) {
        throw new Error(`${method} ${url}${path}: still failing after 120 s (${JSON.stringify(answer)})`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** A new catalog item with this stock; returns its SKU. */
  async newItem(stock: number, price = 10_00): Promise<string> {
    const sku = `CL-${randomUUID().slice(0, 12)}`;
    const put = await this.call('PUT', `/inventory/${sku}`, { name: `cluster test ${sku}`, price });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const restock = await this.call('POST', `/inventory/${sku}/restock`, { quantity: stock });
    assert.equal(restock.status, 200, JSON.stringify(restock.body));
    return sku;
  }

  /** A new customer with this balance (cents); returns the id. */
  async newCustomer(balance: number): Promise<string> {
    const id = `cl-${randomUUID().slice(0, 12)}`;
    const dep = await this.call('POST', `/accounts/${id}/deposits`, { amount: balance });
    assert.equal(dep.status, 201, JSON.stringify(dep.body));
    return id;
  }

  async placeOrder(
    customerId: string,
    items: { sku: string; quantity: number }[],
    opts: { country?: string; via?: number } = {},
  ): Promise<string> {
    const res = await this.call(
      'POST',
      '/orders',
      {
        customerId,
        items,
        shippingAddress: {
          name: 'Cluster test',
          line1: '1 Main St',
          city: 'Springfield',
          postalCode: '12345',
          country: opts.country ?? 'US',
        },
      },
      { via: opts.via ?? 0 },
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return String(res.body.orderId);
  }

  async order(orderId: string, via = 0): Promise<Record<string, unknown>> {
    const res = await this.call('GET', `/orders/${orderId}`, undefined, { via });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  /** Polls until the order's `field` is one of `want` (status or sagaState); returns the order. */
  async waitFor(
    orderId: string,
    want: string[],
    opts: { field?: 'status' | 'sagaState'; timeoutMs?: number; via?: number } = {},
  ): Promise<Record<string, unknown>> {
    const field = opts.field ?? 'status';
    const deadline = Date.now() + (opts.timeoutMs ?? 240_000);
    let last: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      last = await this.order(orderId, opts.via);
      if (want.includes(String(last[field]))) return last;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`order ${orderId}: ${field} never became ${want.join('/')}: ${JSON.stringify(last)}`);
  }

  async stock(sku: string): Promise<{ available: number; reserved: number }> {
    const res = await this.call('GET', `/inventory/${sku}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { available: Number(res.body.available), reserved: Number(res.body.reserved) };
  }

  async balance(customerId: string): Promise<number> {
    const res = await this.call('GET', `/accounts/${customerId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return Number(res.body.balance);
  }

  async cancel(orderId: string, via = 0): Promise<Answer> {
    return this.call('POST', `/orders/${orderId}/cancel`, { reason: 'cluster test' }, { via });
  }
}
