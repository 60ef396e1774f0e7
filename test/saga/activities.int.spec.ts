import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createInventoryActivities } from '../../src/activities/inventory';
import { createOrderActivities } from '../../src/activities/orders';
import { createPaymentActivities } from '../../src/activities/payments';
import { createShippingActivities } from '../../src/activities/shipping';
import { activityInterceptors } from '../../src/activities/failures';
import { startCarrierServer, type CarrierServer } from '../../src/carrier/app';
import { createCarrierClient } from '../../src/carrier/client';
import { createPool, type Pool } from '../../src/db/pool';
import type { RunningPostgres } from '../../src/platform/postgres';
import { createInventoryService } from '../../src/services/inventory';
import { createOrdersService } from '../../src/services/orders';
import { createPaymentsService } from '../../src/services/payments';
import { createShippingService } from '../../src/services/shipping';
import { startTestPostgres } from '../support/stack';
import { fresh } from './harness';
import { startTogether } from '../support/start-together';

const COUNTRIES = ['GB', 'US'];
const address = { name: 'A', line1: '1 St', city: 'London', postalCode: 'N1', country: 'GB' };

/**
 * Runs an activity inside a (mock) activity context with the workers' activity interceptors, as a worker
 * would: Context.current().info is set and refusals become ApplicationFailures.
 */
const inActivity = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> =>
  new MockActivityEnvironment(
    {
      workflowExecution: { workflowId: 'order-test', runId: 'run-1' },
      activityId: '7',
      activityType: fn.name,
    },
    { logger: new DefaultLogger('ERROR'), interceptors: activityInterceptors },
  ).run(fn, ...args);

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

/** Rows in a service schema's event log and outbox: what a write would add to. */
async function written(
  pool: Pool,
  schema: 'orders' | 'shipping',
): Promise<{ events: number; outbox: number }> {
  const { rows } = await pool.query<{ events: number; outbox: number }>(
    `SELECT (SELECT count(*) FROM ${schema}.events)::int AS events, (SELECT count(*) FROM ${schema}.outbox)::int AS outbox`,
  );
  return rows[0]!;
}

describe('saga activities over the services (real Postgres and carrier; each activity runs in MockActivityEnvironment, not on a worker)', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  let carrier: CarrierServer;
  before(async () => {
    [pg, carrier] = await startTogether(startTestPostgres(), startCarrierServer({}));
    pool = createPool(pg.url);
  });
  after(async () => {
    await pool?.end();
    await carrier?.close();
    await pg?.stop();
  });

  it('a retried charge or refund with the same key moves money once; refusals are non-retryable and typed (MockActivityEnvironment)', async () => {
    const payments = createPaymentsService({ pool });
    const acts = createPaymentActivities({ payments });
    const customerId = fresh('cust');
    const orderId = fresh('ord');
    await payments.deposit({ customerId, amount: 1000, depositId: fresh('d') });
    const charge = { orderId, customerId, amount: 700, key: `order-${orderId}/charge-payment` };
    await inActivity(acts.chargePayment, charge);
    await inActivity(acts.chargePayment, charge);
    assert.equal((await payments.getAccount(customerId)).balance, 300);

    const refused = await failureOf(inActivity(acts.chargePayment, { ...charge, orderId: fresh('ord') }));
    assert.equal(refused.type, 'InsufficientFunds');
    assert.equal(refused.nonRetryable, true);

    const refund = { orderId, customerId, key: `order-${orderId}/refund-payment` };
    await inActivity(acts.refundPayment, refund);
    await inActivity(acts.refundPayment, refund);
    await inActivity(acts.refundPayment, { orderId: fresh('never-charged'), customerId, key: 'k' });
    assert.equal((await payments.getAccount(customerId)).balance, 1000);

    const { rows } = await pool.query<{ metadata: Record<string, string> }>(
      `SELECT metadata FROM payments.events WHERE stream_id = $1 AND event_type = 'AccountCharged'`,
      [`account-${customerId}`],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.metadata['workflowId'], 'order-test');
    assert.equal(rows[0]!.metadata['activityId'], '7');
    assert.equal(rows[0]!.metadata['idempotencyKey'], charge.key);
  });

  it('reserve and release are idempotent; releasing nothing is a no-op; short stock is InsufficientStock (MockActivityEnvironment)', async () => {
    const inventory = createInventoryService({ pool });
    const acts = createInventoryActivities({ inventory });
    const sku = fresh('SKU');
    await inventory.upsertItem({ sku, name: 'x', price: 100 });
    await inventory.restock({ sku, quantity: 5, restockId: fresh('r') });
    const orderId = fresh('ord');
    const lines = [{ sku, quantity: 2, unitPrice: 100 }];
    await inActivity(acts.releaseStock, { orderId, lines, key: 'release-before-reserve' });
    await inActivity(acts.reserveStock, { orderId, lines, key: 'reserve' });
    await inActivity(acts.reserveStock, { orderId, lines, key: 'reserve' });
    assert.equal((await inventory.getItem(sku))?.available, 3);
    const short = await failureOf(
      inActivity(acts.reserveStock, {
        orderId: fresh('ord'),
        lines: [{ sku, quantity: 4, unitPrice: 100 }],
        key: 'x',
      }),
    );
    assert.equal(short.type, 'InsufficientStock');
    assert.equal(short.nonRetryable, true);
    await inActivity(acts.releaseStock, { orderId, lines, key: 'release' });
    await inActivity(acts.releaseStock, { orderId, lines, key: 'release' });
    assert.equal((await inventory.getItem(sku))?.available, 5);
  });

  it('rejecting an order that was never placed is a safe no-op: nothing is written (MockActivityEnvironment)', async () => {
    const orders = createOrdersService({ pool });
    const acts = createOrderActivities({ orders });
    const before = await written(pool, 'orders');
    const failed = fresh('ord');
    const cancelled = fresh('ord');
    await inActivity(acts.rejectOrder, {
      orderId: failed,
      outcome: 'FAILED',
      reason: 'x',
      step: 'placeOrder',
      key: 'k',
    });
    await inActivity(acts.rejectOrder, {
      orderId: cancelled,
      outcome: 'CANCELLED',
      reason: 'x',
      step: 'placeOrder',
      key: 'k',
    });
    for (const orderId of [failed, cancelled]) {
      assert.deepEqual(await orders.getOrderEvents(orderId), []);
      assert.equal(await orders.getOrder(orderId), undefined);
    }
    assert.deepEqual(await written(pool, 'orders'), before, 'no event and no outbox row');
  });

  it('createShipment books once per key, refuses unsupported countries, and fails fast with CarrierUnavailable while the breaker is open (MockActivityEnvironment)', async () => {
    const client = createCarrierClient({
      url: carrier.url,
      timeoutMs: 5000,
      failureThreshold: 2,
      halfOpenAfterMs: 60_000,
    });
    const shipping = createShippingService({ pool, supportedCountries: COUNTRIES, carrier: client });
    const acts = createShippingActivities({ shipping });
    const orderId = fresh('ord');
    const lines = [{ sku: 'S', quantity: 1, unitPrice: 1 }];
    const a = await inActivity(acts.createShipment, {
      orderId,
      address,
      lines,
      key: `order-${orderId}/ship`,
    });
    const b = await inActivity(acts.createShipment, {
      orderId,
      address,
      lines,
      key: `order-${orderId}/ship`,
    });
    assert.equal(a.trackingNumber, b.trackingNumber);
    assert.equal((await shipping.getShipment(orderId))?.status, 'DISPATCHED');

    const zz = await failureOf(inActivity(acts.validateDestination, { orderId, country: 'ZZ' }));
    assert.equal(zz.type, 'UnsupportedCountry');
    assert.equal(zz.nonRetryable, true);

    carrier.behaviour.failureRate = 1;
    try {
      for (let i = 0; i < 2; i++) {
        const f = await failureOf(
          inActivity(acts.createShipment, { orderId: fresh('ord'), address, lines, key: fresh('k') }),
        );
        assert.equal(f.type, 'CarrierUnavailable');
        assert.equal(f.nonRetryable, false);
      }
      assert.equal(client.state, 'open');
      const requests = carrier.stats.requests;
      const open = await failureOf(
        inActivity(acts.createShipment, { orderId: fresh('ord'), address, lines, key: fresh('k') }),
      );
      assert.equal(open.type, 'CarrierUnavailable');
      assert.match(open.message, /circuit breaker is open/);
      assert.equal(carrier.stats.requests, requests, 'no call reached the carrier');
    } finally {
      carrier.behaviour.failureRate = 0;
    }
    // cancelling a shipment that never existed is a no-op: nothing is written
    const before = await written(pool, 'shipping');
    const never = fresh('ord');
    await inActivity(acts.cancelShipment, { orderId: never, reason: 'x', key: 'k' });
    assert.deepEqual(await shipping.getShipmentEvents(never), []);
    assert.equal(await shipping.getShipment(never), undefined);
    assert.deepEqual(await written(pool, 'shipping'), before, 'no event and no outbox row');
  });
});
