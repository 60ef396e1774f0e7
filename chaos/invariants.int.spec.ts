/**
 * The chaos suite's invariant checks can fail: on a real Postgres, a consistent order written straight into
 * the event logs breaks nothing, and each kind of corruption (a second charge, a version gap, an undelivered
 * outbox row, a tampered read model, a saga still running, an order missing from the log, oversold stock)
 * moves exactly the counter that names it. Each test writes its own fresh ids and compares counters before
 * and after, so the tests are independent of each other's leftovers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createPool, type Pool } from '../src/db/pool';
import { rebuildProjection } from '../src/eventstore/projections/rebuild';
import { ORDER_PROJECTIONS, ORDERS_SCHEMA } from '../src/services/orders/read-models';
import type { RunningPostgres } from '../src/platform/postgres';
import { startTestPostgres } from '../test/support/stack';
import { BROKEN_INVARIANT_COUNTERS, checkInvariants, type InvariantReport } from './invariants';

let pg: RunningPostgres;
let pool: Pool;
const workflows = new Map<string, string>();
const submitted = new Set<string>();

async function append(schema: string, streamId: string, type: string, data: object, version?: number) {
  const r = await pool.query<{ v: number }>(
    `SELECT coalesce(max(version), 0)::int AS v FROM ${schema}.events WHERE stream_id = $1`,
    [streamId],
  );
  const v = version ?? r.rows[0]!.v + 1;
  await pool.query(
    `INSERT INTO ${schema}.events (stream_id, version, event_id, event_type, data) VALUES ($1, $2, $3, $4, $5)`,
    [streamId, v, randomUUID(), type, JSON.stringify(data)],
  );
}

/** One completed order, paid and shipped, consistent across the four logs and the gateway. */
async function consistentOrder(): Promise<{ orderId: string; customerId: string; sku: string }> {
  const orderId = randomUUID();
  const customerId = `cust-${orderId.slice(0, 8)}`;
  const sku = `SKU-${orderId.slice(0, 8)}`;
  const at = new Date().toISOString();
  const os = `order-${orderId}`;
  await append('payments', `account-${customerId}`, 'FundsDeposited', {
    customerId,
    depositId: 'd1',
    amount: 10_000,
    balanceAfter: 10_000,
    at,
  });
  await append('inventory', `item-${sku}`, 'ItemDefined', { sku, name: 'T', price: 2_500, at });
  await append('inventory', `item-${sku}`, 'ItemRestocked', { sku, restockId: 'r1', quantity: 10, at });
  const address = { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'US' };
  await append('orders', os, 'OrderPlaced', {
    orderId,
    customerId,
    lines: [{ sku, quantity: 1, unitPrice: 2_500 }],
    total: 2_500,
    currency: 'USD',
    shippingAddress: address,
    placedAt: at,
  });
  await append('inventory', `item-${sku}`, 'StockReserved', { sku, orderId, quantity: 1, at });
  await append('orders', os, 'OrderInventoryReserved', { orderId, at });
  await append('payments', `account-${customerId}`, 'AccountCharged', {
    customerId,
    orderId,
    amount: 2_500,
    balanceAfter: 7_500,
    at,
  });
  await append('orders', os, 'OrderPaid', { orderId, amount: 2_500, at });
  await append('shipping', `shipment-${orderId}`, 'ShipmentCreated', { orderId, at });
  await append('inventory', `item-${sku}`, 'StockCommitted', { sku, orderId, quantity: 1, at });
  await append('orders', os, 'OrderShipped', { orderId, shipmentId: orderId, trackingNumber: 'T1', at });
  await append('orders', os, 'OrderCompleted', { orderId, at });
  await pool.query(
    `INSERT INTO gateway.idempotency_keys (scope, key, fingerprint, method, path, state, resource_id,
       response_status, response_headers, response_body, created_at, updated_at, expires_at)
     VALUES ($1, $2, 'f', 'POST', '/orders', 'completed', $3, 202, '{}', '\\x7b7d', now(), now(), now() + interval '1 day')`,
    [customerId, `k-${orderId}`, orderId],
  );
  workflows.set(os, 'COMPLETED');
  submitted.add(orderId);
  // the live read models, as the relay would have built them
  for (const p of ORDER_PROJECTIONS) await rebuildProjection(pool, ORDERS_SCHEMA, p);
  return { orderId, customerId, sku };
}

const check = (rebuild = false): Promise<InvariantReport> =>
  checkInvariants(pool, { workflows, submitted, rebuild });

describe('chaos invariants', { timeout: 120_000 }, () => {
  before(async () => {
    pg = await startTestPostgres();
    pool = createPool(pg.url, { max: 4 });
  });
  after(async () => {
    await pool?.end();
    await pg?.stop();
  });

  it('a consistent completed order breaks no invariant', async () => {
    const base = await check(true);
    const { orderId } = await consistentOrder();
    const r = await check(true);
    assert.equal(r.terminal, base.terminal + 1);
    assert.ok(!r.stuckIds.includes(orderId));
    for (const k of BROKEN_INVARIANT_COUNTERS) {
      assert.equal(r[k], base[k], `${k}: ${r.details.join('\n')}`);
    }
  });

  it('a second charge for one order is a double charge, a net-charge mismatch and money drift', async () => {
    const o = await consistentOrder();
    const base = await check();
    await append('payments', `account-${o.customerId}`, 'AccountCharged', {
      customerId: o.customerId,
      orderId: o.orderId,
      amount: 2_500,
      balanceAfter: 5_000,
      at: new Date().toISOString(),
    });
    const r = await check();
    assert.equal(r.doubleCharges, base.doubleCharges + 1);
    assert.equal(r.netChargeMismatches, base.netChargeMismatches + 1);
    assert.ok(r.moneyDrift > base.moneyDrift);
  });

  it('a missing version is a stream gap', async () => {
    const o = await consistentOrder();
    const base = await check();
    await append(
      'inventory',
      `item-${o.sku}`,
      'ItemRestocked',
      { sku: o.sku, restockId: 'r9', quantity: 1 },
      9,
    );
    const r = await check();
    assert.equal(r.streamGaps, base.streamGaps + 1);
  });

  it('an outbox row not delivered is counted', async () => {
    const base = await check();
    await pool.query(
      `INSERT INTO shipping.outbox (message_id, topic, aggregate_id, payload) VALUES ($1, 't', 'a', '{}')`,
      [randomUUID()],
    );
    const r = await check();
    assert.equal(r.undelivered, base.undelivered + 1);
  });

  it('a read model row that differs from a rebuild from the log is a projection mismatch', async () => {
    const o = await consistentOrder();
    await pool.query('UPDATE orders.order_summary SET total = total + 1 WHERE order_id = $1', [o.orderId]);
    const r = await check(true);
    assert.ok((r.projectionDetails.order_summary ?? 0) >= 1, JSON.stringify(r.projectionDetails));
  });

  it('a saga still running is stuck; a closed saga whose order never reached the log is unrecorded', async () => {
    const base = await check();
    const o = await consistentOrder();
    workflows.set(`order-${o.orderId}`, 'RUNNING');
    const ghost = randomUUID();
    workflows.set(`order-${ghost}`, 'COMPLETED');
    submitted.add(ghost);
    const r = await check();
    assert.equal(r.stuck, base.stuck + 1);
    assert.equal(r.unrecorded, base.unrecorded + 1);
    assert.ok(r.idempotencyViolations > base.idempotencyViolations, 'a workflow without an answered key');
    workflows.delete(`order-${ghost}`);
    submitted.delete(ghost);
  });

  it('reserving beyond the stock is oversold and a negative bucket', async () => {
    const o = await consistentOrder();
    const base = await check();
    const at = new Date().toISOString();
    // 9 units left: two reservations of 5
    await append('inventory', `item-${o.sku}`, 'StockReserved', {
      sku: o.sku,
      orderId: randomUUID(),
      quantity: 5,
      at,
    });
    await append('inventory', `item-${o.sku}`, 'StockReserved', {
      sku: o.sku,
      orderId: randomUUID(),
      quantity: 5,
      at,
    });
    const r = await check();
    assert.equal(r.negativeStock, base.negativeStock + 1);
    assert.equal(r.oversold, base.oversold + 1);
  });
});
