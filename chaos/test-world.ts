/**
 * The consistent world the oracle's negative tests start from (invariants.int.spec.ts): two customers, two
 * SKUs and five orders (two completed, one failed after its shipment was created, one failed for lack of
 * funds, one cancelled after payment), written through the real services in the order the saga runs them,
 * with an event-store health check in every schema, and the read models fed by the real outbox relays with
 * the order projections. Test support: it uses the code under check to produce state, never to judge it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from '../src/db/pool';
import { InsufficientFunds } from '../src/domain/errors';
import { checkEventStoreHealth } from '../src/eventstore/health';
import { ORDER_PROJECTIONS, ORDERS_SCHEMA } from '../src/services/orders/read-models';
import { projectionsSubscriber } from '../src/eventstore/projections/projection';
import { startOutboxRelay } from '../src/eventstore/outbox-relay';
import { createEventStore } from '../src/eventstore/store';
import { createInventoryService } from '../src/services/inventory';
import { createOrdersService } from '../src/services/orders';
import { createPaymentsService } from '../src/services/payments';
import { createShippingService } from '../src/services/shipping';
import type { OracleInput } from './invariants';
import { SCHEMAS } from './oracle/snapshot';
import { countUndelivered } from './lib/settle';
import { waitForConsumers } from './lib/bus-settle';
import { startWorldBus } from './test-world-bus';

export const SKUS = { a: 'SKU-A', b: 'SKU-B' } as const;
export const ALICE = 'alice';
export const BOB = 'bob';
const address = {
  name: 'A. Buyer',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};
/** the world's order ids, by what happened to them */
export const O = {
  completed: randomUUID(),
  completedSmall: randomUUID(),
  failedAfterShipment: randomUUID(),
  failedNoFunds: randomUUID(),
  cancelled: randomUUID(),
};

function servicesOn(pool: Pool) {
  return {
    orders: createOrdersService({ pool }),
    // snapshots after every event, so the services answer from a snapshot that a test can corrupt
    inventory: createInventoryService({
      pool,
      store: createEventStore({ pool, schema: 'inventory', snapshotEvery: 1 }),
    }),
    payments: createPaymentsService({
      pool,
      store: createEventStore({ pool, schema: 'payments', snapshotEvery: 1 }),
    }),
    shipping: createShippingService({ pool, supportedCountries: ['US'] }),
  };
}
type Services = ReturnType<typeof servicesOn>;

type Line = { sku: string; quantity: number; unitPrice: number };
const totalOf = (lines: Line[]) => lines.reduce((t, l) => t + l.quantity * l.unitPrice, 0);

/** The saga's forward steps up to `until`, through the services. */
async function forward(
  s: Services,
  orderId: string,
  customerId: string,
  lines: Line[],
  until: 'reserved' | 'paid' | 'shipmentCreated' | 'completed',
) {
  const total = totalOf(lines);
  const skus = lines.map((l) => l.sku);
  await s.orders.place({
    orderId,
    customerId,
    lines,
    total,
    currency: 'USD',
    shippingAddress: address,
    placedAt: new Date().toISOString(),
  });
  await s.inventory.reserve({ orderId, lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })) });
  await s.orders.markInventoryReserved({ orderId });
  if (until === 'reserved') return;
  await s.payments.charge({ customerId, orderId, amount: total });
  await s.orders.markPaid({ orderId, amount: total });
  if (until === 'paid') return;
  const shipment = await s.shipping.create({
    orderId,
    address,
    lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
  });
  if (until === 'shipmentCreated') return;
  const tracking = `TRK-${orderId.slice(0, 8)}`;
  await s.shipping.dispatch({ orderId, trackingNumber: tracking });
  await s.inventory.commit({ orderId, lines: skus.map((sku) => ({ sku })) });
  await s.orders.markShipped({ orderId, shipmentId: shipment.shipmentId, trackingNumber: tracking });
  await s.orders.complete({ orderId });
}

/** Gateway keys as the API leaves them for an answered POST /orders. */
export async function answeredKey(pool: Pool, customerId: string, orderId: string) {
  await pool.query(
    `INSERT INTO gateway.idempotency_keys (scope, key, fingerprint, method, path, state, resource_id,
       response_status, response_headers, response_body, created_at, updated_at, expires_at)
     VALUES ($1, $2, 'f', 'POST', '/orders', 'completed', $3, 202, '{}', '\\x7b7d', now(), now(), now() + interval '1 day')`,
    [customerId, `k-${orderId}`, orderId],
  );
}

/**
 * Writes the world into `db`, lets the relays deliver every outbox row (the live read-model path) and
 * publish it to the broker at `brokers`, and lets every bus consumer group apply it.
 */
export async function buildWorld(url: string, brokers: string[]) {
  const pool = createPool(url, { max: 12 });
  const bus = await startWorldBus(pool, brokers);
  try {
    const s = servicesOn(pool);
    for (const [sku, price, stock] of [
      [SKUS.a, 1000, 10],
      [SKUS.b, 2500, 5],
    ] as const) {
      await s.inventory.upsertItem({ sku, name: sku, price });
      await s.inventory.restock({ sku, quantity: stock, restockId: `r-${sku}` });
    }
    await s.payments.deposit({ customerId: ALICE, amount: 100_000, depositId: 'd-alice' });
    await s.payments.deposit({ customerId: BOB, amount: 1_000, depositId: 'd-bob' });
    const a = (quantity: number) => ({ sku: SKUS.a, quantity, unitPrice: 1000 });
    const b = (quantity: number) => ({ sku: SKUS.b, quantity, unitPrice: 2500 });
    // two completed orders back to back: their charges are neighbours in alice's account
    await forward(s, O.completed, ALICE, [a(2), b(1)], 'completed');
    await forward(s, O.completedSmall, ALICE, [a(1)], 'completed');
    // the carrier refused: cancel the shipment, refund, release, fail
    await forward(s, O.failedAfterShipment, ALICE, [b(2)], 'shipmentCreated');
    await s.shipping.cancel({ orderId: O.failedAfterShipment, reason: 'CarrierRejected' });
    await s.payments.refund({ customerId: ALICE, orderId: O.failedAfterShipment });
    await s.inventory.release({ orderId: O.failedAfterShipment, lines: [{ sku: SKUS.b }] });
    await s.orders.fail({
      orderId: O.failedAfterShipment,
      reason: 'CarrierRejected',
      step: 'createShipment',
    });
    // bob cannot pay: release, fail
    await forward(s, O.failedNoFunds, BOB, [a(2)], 'reserved');
    await assert.rejects(
      s.payments.charge({ customerId: BOB, orderId: O.failedNoFunds, amount: 2000 }),
      InsufficientFunds,
    );
    await s.inventory.release({ orderId: O.failedNoFunds, lines: [{ sku: SKUS.a }] });
    await s.orders.fail({ orderId: O.failedNoFunds, reason: 'InsufficientFunds', step: 'chargePayment' });
    // cancelled after payment: refund, release, cancel
    await forward(s, O.cancelled, ALICE, [a(1), b(1)], 'paid');
    await s.payments.refund({ customerId: ALICE, orderId: O.cancelled });
    await s.inventory.release({ orderId: O.cancelled, lines: [{ sku: SKUS.a }, { sku: SKUS.b }] });
    await s.orders.cancel({ orderId: O.cancelled, reason: 'changed my mind' });
    for (const [id, c] of [
      [O.completed, ALICE],
      [O.completedSmall, ALICE],
      [O.failedAfterShipment, ALICE],
      [O.failedNoFunds, BOB],
      [O.cancelled, ALICE],
    ] as const)
      await answeredKey(pool, c, id);
    // /health appends a HealthChecked to each schema's $health stream: part of every real log
    for (const schema of SCHEMAS) await checkEventStoreHealth(pool, schema);
    const relays = SCHEMAS.map((schema) =>
      startOutboxRelay({
        pool,
        schema,
        subscribers: [
          ...(schema === 'orders' ? [projectionsSubscriber(ORDERS_SCHEMA, ORDER_PROJECTIONS)] : []),
          bus.subscriber(schema),
        ],
        pollIntervalMs: 100,
      }),
    );
    const deadline = Date.now() + 60_000;
    while ((await countUndelivered(pool)) > 0) {
      assert.ok(Date.now() < deadline, 'the relays did not deliver the outbox within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(relays.map((r) => r.stop()));
    bus.startConsumers();
    assert.equal(await waitForConsumers(pool, 120_000), 0, 'the bus consumers did not catch up within 120 s');
    await observe(pool); // leaves a snapshot at each stream's head
  } finally {
    await bus.stop();
    await pool.end();
  }
}

/** What the suite gives the oracle besides Postgres: Temporal's view, the keys and the services' answers. */
export async function observe(pool: Pool, extra: Partial<OracleInput> = {}): Promise<OracleInput> {
  const s = servicesOn(pool);
  const serviceStock = new Map<string, { available: number; reserved: number } | undefined>();
  for (const sku of Object.values(SKUS)) {
    const it = await s.inventory.getItem(sku);
    serviceStock.set(sku, it && { available: it.available, reserved: it.reserved });
  }
  const serviceBalances = new Map<string, number | undefined>();
  for (const c of [ALICE, BOB]) serviceBalances.set(c, (await s.payments.getAccount(c)).balance);
  const ids = Object.values(O);
  return {
    workflows: new Map(ids.map((id) => [`order-${id}`, 'COMPLETED'])),
    submitted: ids,
    keys: new Map(ids.map((id) => [`k-${id}`, new Set([id])])),
    serviceStock,
    serviceBalances,
    ...extra,
  };
}
