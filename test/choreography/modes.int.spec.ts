/**
 * The same business cases, through the same API, in both coordination modes, on a real Temporal dev server,
 * Postgres, Kafka broker and carrier, with the four workers (activities, relays, reactions) in this process:
 * each case asserts the same outcome (status, saga state, failure, money and stock after compensation) for
 * `orchestration` and `choreography`. Nothing is stubbed. Plus the contention case in choreography.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { COORDINATION_MODES, type CoordinationMode, isAtomicCommitMode } from '../../src/domain/coordination';

/** the two saga modes (2PC and 3PC have their own outcome spec, test/coordination) */
const SAGA_MODES = COORDINATION_MODES.filter((m) => !isAtomicCommitMode(m));
import { ADDRESS, bearer, placeOrder, startApiStack, type ApiStack, type App } from '../support/api-stack';
import { eventually } from '../support/eventually';

const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'COMPENSATION_BLOCKED'];
/** the order aggregate's last event for each end */
const LAST_EVENT: Record<string, string> = {
  COMPLETED: 'OrderCompleted',
  FAILED: 'OrderFailed',
  CANCELLED: 'OrderCancelled',
};
/** the carrier refuses every call in the carrier-down case, so no booking can land: a short budget is safe */
const SHIPMENT_BUDGET_MS = 4000;

interface Case {
  name: string;
  stock: number;
  balance: number;
  country?: string;
  /** cancel once the order is paid (inside the 60 s window) */
  cancelInWindow?: boolean;
  expect: { status: string; failure?: RegExp; charged: boolean; shipped: boolean };
  /** after the order completed: a cancel answers 409 */
  cancelAfterShipping?: boolean;
  /** the carrier answers 503 to every call until the order has finished (longer than the shipment budget) */
  carrierDown?: boolean;
}

const CASES: Case[] = [
  {
    name: 'happy path',
    stock: 5,
    balance: 100_000,
    expect: { status: 'COMPLETED', charged: true, shipped: true },
  },
  {
    name: 'no stock',
    stock: 0,
    balance: 100_000,
    expect: { status: 'FAILED', failure: /stock/i, charged: false, shipped: false },
  },
  {
    name: 'no funds',
    stock: 5,
    balance: 100,
    expect: { status: 'FAILED', failure: /funds/i, charged: false, shipped: false },
  },
  {
    name: 'unsupported country',
    stock: 5,
    balance: 100_000,
    country: 'BR',
    expect: { status: 'FAILED', failure: /BR|country/i, charged: false, shipped: false },
  },
  {
    name: 'carrier down beyond its budget',
    stock: 5,
    balance: 100_000,
    carrierDown: true,
    expect: { status: 'FAILED', failure: /carrier unavailable/i, charged: false, shipped: false },
  },
  {
    name: 'cancel inside the window',
    stock: 5,
    balance: 100_000,
    cancelInWindow: true,
    expect: { status: 'CANCELLED', charged: false, shipped: false },
  },
  {
    name: 'cancel after shipping → 409',
    stock: 5,
    balance: 100_000,
    cancelAfterShipping: true,
    expect: { status: 'COMPLETED', charged: true, shipped: true },
  },
];

describe(
  'business cases in both coordination modes (real Temporal, Postgres, Kafka, carrier)',
  { timeout: 900_000 },
  () => {
    let api: ApiStack;
    let windowApp: App; // 60 s cancellation window
    let fastApp: App; // no window

    before(async () => {
      api = await startApiStack({ bus: true });
      const config = {
        ...api.deps.config,
        // a short shipment budget (both modes) for the carrier-down case; the other steps get a long
        // deadline, so that a loaded machine does not turn a slow step into a compensation
        shipmentBudgetMs: SHIPMENT_BUDGET_MS,
        choreography: { stepDeadlineMs: 120_000 },
      };
      windowApp = createApp({ ...api.deps, config });
      fastApp = createApp({ ...api.deps, config: { ...config, cancellationWindowMs: 0 } });
    });
    after(async () => {
      await api?.stop();
    });

    async function finished(t: string, orderId: string) {
      return eventually(
        async () => {
          const res = await request(fastApp).get(`/orders/${orderId}`).set(bearer(t));
          assert.equal(res.status, 200, res.text);
          const body = res.body as { status: string; sagaState: string };
          assert.ok(TERMINAL.includes(body.status), `status ${body.status} (${body.sagaState})`);
          return res.body as {
            status: string;
            sagaState: string;
            coordination: string;
            failureReason?: string;
          };
        },
        { timeoutMs: 180_000, intervalMs: 200, what: `order ${orderId} finished` },
      );
    }

    /**
     * GET /orders/{id}/events (the order aggregate: OrderPlaced first, awaited until the end's event is last) and
     * /timeline (every service's events as the bus delivered them: awaited until it holds the end's event).
     */
    async function auditTrail(t: string, orderId: string, status: string) {
      // awaited too: a choreographed order's aggregate gets its end event just after the saga stream
      // (the orders service writes it when it has moved the saga), so it may lag the status by a moment
      const types = await eventually(
        async () => {
          const events = await request(fastApp).get(`/orders/${orderId}/events`).set(bearer(t));
          assert.equal(events.status, 200, events.text);
          const got = (events.body as { items: { type: string }[] }).items.map((e) => e.type);
          assert.equal(got.at(-1), LAST_EVENT[status], `events: ${got.join(',')}`);
          return got;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `the end event in /events of ${orderId}` },
      );
      const timeline = await eventually(
        async () => {
          const res = await request(fastApp).get(`/orders/${orderId}/timeline`).set(bearer(t));
          assert.equal(res.status, 200, res.text);
          const items = (res.body as { items: { service: string; type: string }[] }).items;
          assert.ok(
            items.some((e) => e.service === 'orders' && e.type === LAST_EVENT[status]),
            `timeline without ${LAST_EVENT[status]}: ${items.map((e) => e.type).join(',')}`,
          );
          return items;
        },
        { timeoutMs: 120_000, intervalMs: 200, what: `timeline of ${orderId}` },
      );
      return {
        first: types[0],
        last: types.at(-1),
        timelineHasPlaced: timeline.some((e) => e.service === 'orders' && e.type === 'OrderPlaced'),
      };
    }

    async function runCase(c: Case, mode: CoordinationMode) {
      const { sku, price } = await api.newItem({ stock: c.stock, price: 1250 });
      const customer = await api.newCustomer(c.balance);
      const on = c.cancelInWindow ? windowApp : fastApp;
      const body = {
        items: [{ sku, quantity: 1 }],
        shippingAddress: { ...ADDRESS, ...(c.country && { country: c.country }) },
        coordination: mode,
      };
      if (c.carrierDown) api.stack.carrier.behaviour.failureRate = 1;
      try {
        return await placeAndFinish(c, mode, on, customer, body, sku, price);
      } finally {
        if (c.carrierDown) {
          api.stack.carrier.behaviour.failureRate = 0;
          await breakerClosed();
        }
      }
    }

    /** the carrier client's breaker opened in the carrier-down case: drive a trial call until it closes */
    async function breakerClosed() {
      let probe = 0;
      await eventually(
        async () => {
          const client = api.stack.carrierClient;
          if (client.state !== 'closed') {
            await client
              .book({ key: `probe-${probe++}`, orderId: 'probe', country: 'GB', postalCode: 'X', parcels: 1 })
              .catch(() => undefined);
          }
          assert.equal(client.state, 'closed');
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the carrier breaker closed' },
      );
    }

    async function placeAndFinish(
      c: Case,
      mode: CoordinationMode,
      on: App,
      customer: { id: string; token: string },
      body: object,
      sku: string,
      price: number,
    ) {
      const placed = await placeOrder(on, customer, body);
      assert.equal(placed.status, 202, placed.text);
      assert.equal(placed.body.coordination, mode);
      const { orderId } = placed.body as { orderId: string };
      if (c.cancelInWindow) {
        await api.waitForSagaState(on, customer.token, orderId, ['PAYMENT_COMPLETED']);
        const cancel = await request(on)
          .post(`/orders/${orderId}/cancel`)
          .set(bearer(customer.token))
          .set('Idempotency-Key', `c-${orderId}`)
          .send({ reason: 'changed my mind' });
        assert.equal(cancel.status, 202, cancel.text);
      }
      const end = await finished(customer.token, orderId);
      if (c.cancelAfterShipping) {
        const late = await request(on)
          .post(`/orders/${orderId}/cancel`)
          .set(bearer(customer.token))
          .set('Idempotency-Key', `c-${orderId}`)
          .send({});
        assert.equal(late.status, 409, late.text);
      }
      const trail = await auditTrail(customer.token, orderId, end.status);
      const item = await api.stack.services.inventory.getItem(sku);
      const account = await api.stack.services.payments.getAccount(customer.id);
      return {
        trail,
        status: end.status,
        sagaState: end.sagaState,
        coordination: end.coordination,
        failure: end.failureReason,
        balance: account.balance,
        stock: { available: item?.available, reserved: item?.reserved, shipped: item?.shipped },
        expected: {
          balance: c.balance - (c.expect.charged ? price : 0),
          stock: {
            available: c.stock - (c.expect.shipped ? 1 : 0),
            reserved: 0,
            shipped: c.expect.shipped ? 1 : 0,
          },
        },
      };
    }

    for (const c of CASES) {
      it(`${c.name}: the same outcome in both modes`, async () => {
        const outcomes = [];
        for (const mode of SAGA_MODES) {
          const o = await runCase(c, mode);
          assert.equal(o.coordination, mode, 'the response says which mode ran the order');
          assert.equal(o.status, c.expect.status, `${mode}: status (${o.failure ?? ''})`);
          assert.equal(o.sagaState, c.expect.status, `${mode}: saga state`);
          if (c.expect.failure) assert.match(o.failure ?? '', c.expect.failure, `${mode}: failure`);
          assert.equal(o.balance, o.expected.balance, `${mode}: money after the saga`);
          assert.deepEqual(o.stock, o.expected.stock, `${mode}: stock after the saga`);
          assert.deepEqual(
            o.trail,
            { first: 'OrderPlaced', last: LAST_EVENT[c.expect.status], timelineHasPlaced: true },
            `${mode}: /events and /timeline`,
          );
          outcomes.push({
            trail: o.trail,
            status: o.status,
            sagaState: o.sagaState,
            balanceDelta: o.expected.balance - o.balance,
            stock: o.stock,
          });
        }
        assert.deepEqual(outcomes[0], outcomes[1], 'orchestration and choreography end the same');
      });
    }

    it('contention in choreography: 24 single-unit orders for 10 units give exactly 10 completed, stock 0 and nothing reserved', async () => {
      const { sku } = await api.newItem({ stock: 10, price: 100 });
      const customers = await Promise.all(Array.from({ length: 24 }, () => api.newCustomer(10_000)));
      const placed = await Promise.all(
        customers.map((c) =>
          placeOrder(fastApp, c, {
            items: [{ sku, quantity: 1 }],
            shippingAddress: ADDRESS,
            coordination: 'choreography',
          }),
        ),
      );
      for (const p of placed) assert.equal(p.status, 202, p.text);
      const ends = await Promise.all(
        placed.map((p, i) => finished(customers[i]!.token, p.body.orderId as string)),
      );
      const completed = ends.filter((e) => e.status === 'COMPLETED').length;
      assert.equal(completed, 10, `statuses: ${ends.map((e) => e.status).join(',')}`);
      assert.equal(ends.filter((e) => e.status === 'FAILED').length, 14);
      const item = await api.stack.services.inventory.getItem(sku);
      assert.deepEqual(
        { available: item?.available, reserved: item?.reserved, shipped: item?.shipped },
        { available: 0, reserved: 0, shipped: 10 },
      );
    });
  },
);
