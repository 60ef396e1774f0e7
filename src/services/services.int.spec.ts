/**
 * The service use cases against a real Postgres (all migrations applied): retries with the same key write
 * nothing, concurrent reservations never oversell, refunds credit once, as-of reads, outbox rows written
 * with the events.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from '../db/pool';
import type { RunningPostgres } from '../platform/postgres';
import { eventually } from '../../test/support/eventually';
import { startTestPostgres } from '../../test/support/stack';
import { DomainError } from '../domain/errors';
import { createOrdersService, type OrdersService, type PlaceOrderInput } from './orders';
import { createInventoryService, type InventoryService } from './inventory';
import { createPaymentsService, type PaymentsService } from './payments';
import { createShippingService, type ShippingService } from './shipping';

/** Waits until the clock is 2 ms past `recordedAt`, so the next event is recorded at a later instant. */
const clockPast = (recordedAt: string) =>
  eventually(() => assert.ok(Date.now() >= Date.parse(recordedAt) + 2, 'the clock has not moved on'), {
    intervalMs: 1,
  });

let pg: RunningPostgres;
let pool: Pool;
let orders: OrdersService;
let inventory: InventoryService;
let payments: PaymentsService;
let shipping: ShippingService;

const id = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
const address = { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

async function count(schema: string, table: 'events' | 'outbox', streamId: string): Promise<number> {
  const column = table === 'events' ? 'stream_id' : 'aggregate_id';
  const r = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${schema}.${table} WHERE ${column} = $1`,
    [streamId],
  );
  return r.rows[0]!.n;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

before(async () => {
  pg = await startTestPostgres();
  pool = createPool(pg.url, { max: 12 });
  orders = createOrdersService({ pool });
  inventory = createInventoryService({ pool });
  payments = createPaymentsService({ pool });
  shipping = createShippingService({ pool, supportedCountries: ['US', 'CA', 'GB'] });
});

after(async () => {
  await pool?.end();
  await pg?.stop();
});

describe('payments service', () => {
  it('a retried charge with the same key writes nothing the second time', async () => {
    const c = id('cust');
    const o = id('order');
    await payments.deposit({ customerId: c, amount: 10_000 }, { idempotencyKey: `${c}/d1` });
    const first = await payments.charge(
      { customerId: c, orderId: o, amount: 2_500 },
      { idempotencyKey: `order-${o}/charge` },
    );
    assert.deepEqual([first.appended, first.balance, first.amount], [true, 7_500, 2_500]);
    const before = await count('payments', 'events', `account-${c}`);
    const again = await payments.charge(
      { customerId: c, orderId: o, amount: 2_500 },
      { idempotencyKey: `order-${o}/charge` },
    );
    assert.deepEqual([again.appended, again.balance], [false, 7_500]);
    assert.equal(await count('payments', 'events', `account-${c}`), before);
    // even with another key the same order is never charged twice
    const other = await payments.charge(
      { customerId: c, orderId: o, amount: 2_500 },
      { idempotencyKey: 'another-key' },
    );
    assert.equal(other.appended, false);
    assert.equal((await payments.getAccount(c)).balance, 7_500);
  });

  it('20 concurrent identical charges charge once', async () => {
    const c = id('cust');
    const o = id('order');
    await payments.deposit({ customerId: c, amount: 1_000 }, { idempotencyKey: `${c}/d1` });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        payments.charge({ customerId: c, orderId: o, amount: 600 }, { idempotencyKey: `order-${o}/charge` }),
      ),
    );
    assert.equal(results.filter((r) => r.appended).length, 1);
    const events = await payments.getAccountEvents(c);
    assert.deepEqual(
      events.map((e) => e.type),
      ['FundsDeposited', 'AccountCharged'],
    );
    assert.equal((await payments.getAccount(c)).balance, 400);
  });

  it('a refund credits back exactly the charge, once; a refund with no charge is a no-op', async () => {
    const c = id('cust');
    const o = id('order');
    await payments.deposit({ customerId: c, amount: 5_000 }, { idempotencyKey: `${c}/d1` });
    await payments.charge(
      { customerId: c, orderId: o, amount: 1_200 },
      { idempotencyKey: `order-${o}/charge` },
    );
    const r1 = await payments.refund({ customerId: c, orderId: o }, { idempotencyKey: `order-${o}/refund` });
    assert.deepEqual([r1.appended, r1.refunded, r1.balance], [true, 1_200, 5_000]);
    const r2 = await payments.refund({ customerId: c, orderId: o }, { idempotencyKey: `order-${o}/refund` });
    const r3 = await payments.refund({ customerId: c, orderId: o }, { idempotencyKey: 'a-different-key' });
    assert.deepEqual([r2.appended, r3.appended, r3.balance], [false, false, 5_000]);
    const none = await payments.refund(
      { customerId: c, orderId: id('never-charged') },
      { idempotencyKey: 'k' },
    );
    assert.deepEqual([none.appended, none.refunded, none.balance], [false, 0, 5_000]);
    assert.deepEqual(
      (await payments.getAccountEvents(c)).map((e) => [e.type, e.version]),
      [
        ['FundsDeposited', 1],
        ['AccountCharged', 2],
        ['AccountRefunded', 3],
      ],
    );
  });

  it('concurrent refunds of one order credit it once', async () => {
    const c = id('cust');
    const o = id('order');
    await payments.deposit({ customerId: c, amount: 1_000 }, { idempotencyKey: `${c}/d1` });
    await payments.charge(
      { customerId: c, orderId: o, amount: 400 },
      { idempotencyKey: `order-${o}/charge` },
    );
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        payments.refund({ customerId: c, orderId: o }, { idempotencyKey: `refund-attempt-${i}` }),
      ),
    );
    assert.equal(results.filter((r) => r.appended).length, 1);
    assert.equal((await payments.getAccount(c)).balance, 1_000);
    assert.equal(await count('payments', 'events', `account-${c}`), 3);
  });

  it('a long account is read from a snapshot with the same state as a full replay', async () => {
    const c = id('cust');
    for (let i = 0; i < 105; i++) {
      await payments.deposit({ customerId: c, amount: 10 }, { idempotencyKey: `${c}/d${i}` });
    }
    const o = id('order');
    await payments.charge({ customerId: c, orderId: o, amount: 50 }, { idempotencyKey: `order-${o}/charge` });
    const fromSnapshot = await payments.getAccount(c);
    const snaps = await pool.query('SELECT version FROM payments.snapshots WHERE stream_id = $1', [
      `account-${c}`,
    ]);
    assert.ok(snaps.rowCount! >= 1, 'a snapshot was stored');
    const replayed = await payments.getAccount(c, new Date(Date.now() + 60_000));
    assert.deepEqual(fromSnapshot, replayed);
    assert.deepEqual(fromSnapshot, { customerId: c, balance: 1_000, currency: 'USD', version: 106 });
    // the state restored from the snapshot still knows the deposits and the charge
    assert.equal(
      (await payments.deposit({ customerId: c, amount: 10 }, { idempotencyKey: `${c}/d3` })).version,
      106,
    );
    assert.equal(
      (await payments.charge({ customerId: c, orderId: o, amount: 50 }, { idempotencyKey: 'other' }))
        .appended,
      false,
    );
    assert.equal(
      (await payments.refund({ customerId: c, orderId: o }, { idempotencyKey: `order-${o}/refund` }))
        .refunded,
      50,
    );
  });

  it('a charge beyond the balance is refused with InsufficientFunds and writes nothing', async () => {
    const c = id('cust');
    await payments.deposit({ customerId: c, amount: 100 }, { idempotencyKey: `${c}/d1` });
    await rejectsWith(
      payments.charge({ customerId: c, orderId: id('order'), amount: 101 }, { idempotencyKey: 'k1' }),
      'InsufficientFunds',
    );
    await rejectsWith(
      payments.charge({ customerId: c, orderId: id('order'), amount: 0 }, { idempotencyKey: 'k2' }),
      'InvalidAmount',
    );
    await rejectsWith(
      payments.deposit({ customerId: c, amount: -5 }, { idempotencyKey: 'k3' }),
      'InvalidAmount',
    );
    assert.equal(await count('payments', 'events', `account-${c}`), 1);
  });

  it('deposits are idempotent by key; each event has its outbox message in the same store', async () => {
    const c = id('cust');
    const d1 = await payments.deposit(
      { customerId: c, amount: 700 },
      { idempotencyKey: `${c}/d1`, requestId: 'req-1' },
    );
    const d2 = await payments.deposit({ customerId: c, amount: 700 }, { idempotencyKey: `${c}/d1` });
    assert.deepEqual(d1, d2);
    assert.deepEqual(d1, { customerId: c, balance: 700, version: 1 });
    assert.equal(await count('payments', 'outbox', `account-${c}`), 1);
    const meta = await pool.query<{ metadata: Record<string, unknown> }>(
      'SELECT metadata FROM payments.events WHERE stream_id = $1',
      [`account-${c}`],
    );
    assert.equal(meta.rows[0]!.metadata.requestId, 'req-1');
    assert.equal(meta.rows[0]!.metadata.idempotencyKey, `${c}/d1`);
  });

  it('getAccount answers the balance as of an earlier instant', async () => {
    const c = id('cust');
    await payments.deposit({ customerId: c, amount: 1_000 }, { idempotencyKey: `${c}/d1` });
    await clockPast((await payments.getAccountEvents(c))[0]!.recordedAt);
    await payments.deposit({ customerId: c, amount: 500 }, { idempotencyKey: `${c}/d2` });
    const [e1, e2] = await payments.getAccountEvents(c);
    const t1 = Date.parse(e1!.recordedAt);
    const t2 = Date.parse(e2!.recordedAt);
    assert.ok(t2 - t1 >= 2, 'the deposits were recorded at distinct instants');
    const between = new Date(Math.floor((t1 + t2) / 2));
    assert.deepEqual(await payments.getAccount(c, between), {
      customerId: c,
      balance: 1_000,
      currency: 'USD',
      version: 1,
    });
    assert.equal((await payments.getAccount(c, new Date(t1 - 1_000))).balance, 0);
    assert.deepEqual(await payments.getAccount(c), {
      customerId: c,
      balance: 1_500,
      currency: 'USD',
      version: 2,
    });
  });
});

describe('inventory service', () => {
  async function item(stock: number, price = 500): Promise<string> {
    const sku = id('SKU');
    const r = await inventory.upsertItem(
      { sku, name: `Item ${sku}`, price },
      { idempotencyKey: `${sku}/put` },
    );
    assert.equal(r.created, true);
    if (stock > 0) await inventory.restock({ sku, quantity: stock }, { idempotencyKey: `${sku}/restock` });
    return sku;
  }

  it('upsert creates, updates, and leaves an unchanged entry alone', async () => {
    const sku = id('SKU');
    const a = await inventory.upsertItem({ sku, name: 'Mug', price: 900 });
    const b = await inventory.upsertItem({ sku, name: 'Mug', price: 950 });
    const c = await inventory.upsertItem({ sku, name: 'Mug', price: 950 });
    const d = await inventory.upsertItem({ sku, name: 'Mug', price: 900 });
    assert.deepEqual(
      [a, b, c, d].map((x) => [x.created, x.updated, x.item.price]),
      [
        [true, false, 900],
        [false, true, 950],
        [false, false, 950],
        [false, true, 900],
      ],
    );
    assert.equal(
      await inventory.restock({ sku: id('nope'), quantity: 1 }, { idempotencyKey: 'x' }),
      undefined,
    );
    const items = await inventory.getItems([sku, 'missing-sku']);
    assert.deepEqual([...items.keys()], [sku]);
  });

  it('restock is idempotent by key', async () => {
    const sku = await item(0);
    await inventory.restock({ sku, quantity: 5 }, { idempotencyKey: `${sku}/r1` });
    await inventory.restock({ sku, quantity: 5 }, { idempotencyKey: `${sku}/r1` });
    const e = await inventory.restock({ sku, quantity: 3 }, { idempotencyKey: `${sku}/r2` });
    assert.equal(e?.available, 8);
  });

  it('40 concurrent single-unit reserves for 10 in stock: exactly 10 succeed, never oversold', async () => {
    const sku = await item(10);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        inventory.reserve(
          { orderId: `o${i}-${sku}`, lines: [{ sku, quantity: 1 }] },
          {
            idempotencyKey: `order-o${i}-${sku}/reserve`,
          },
        ),
      ),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter(
      (o) => o.status === 'rejected' && (o.reason as DomainError).code === 'InsufficientStock',
    );
    assert.equal(ok.length, 10);
    assert.equal(refused.length, 30, 'every other attempt was refused for lack of stock');
    const state = await inventory.getItem(sku);
    assert.deepEqual([state?.available, state?.reserved], [0, 10]);
    assert.equal(await count('inventory', 'events', `item-${sku}`), 2 + 10);
  });

  it('a multi-SKU reservation is all or nothing, and a retry with the same key writes nothing', async () => {
    const a = await item(5);
    const b = await item(1);
    const o1 = id('order');
    await rejectsWith(
      inventory.reserve(
        {
          orderId: o1,
          lines: [
            { sku: a, quantity: 2 },
            { sku: b, quantity: 2 },
          ],
        },
        { idempotencyKey: `order-${o1}/reserve` },
      ),
      'InsufficientStock',
    );
    assert.equal((await inventory.getItem(a))?.available, 5, 'nothing was reserved on the first SKU');
    const o2 = id('order');
    const lines = [
      { sku: b, quantity: 1 },
      { sku: a, quantity: 3 },
    ];
    const r = await inventory.reserve({ orderId: o2, lines }, { idempotencyKey: `order-${o2}/reserve` });
    assert.deepEqual(
      r.lines.map((l) => [l.sku, l.quantity, l.status, l.appended]),
      [a, b].sort().map((s) => [s, s === a ? 3 : 1, 'reserved', true]),
    );
    const before = [
      await count('inventory', 'events', `item-${a}`),
      await count('inventory', 'events', `item-${b}`),
    ];
    const again = await inventory.reserve({ orderId: o2, lines }, { idempotencyKey: `order-${o2}/reserve` });
    assert.ok(again.lines.every((l) => !l.appended && l.status === 'reserved'));
    assert.deepEqual(
      [await count('inventory', 'events', `item-${a}`), await count('inventory', 'events', `item-${b}`)],
      before,
    );
    await rejectsWith(
      inventory.reserve({ orderId: id('order'), lines: [{ sku: id('unknown'), quantity: 1 }] }),
      'UnknownSku',
    );
  });

  it('release gives the stock back once; a release with nothing reserved is a no-op; commit ships it', async () => {
    const sku = await item(4);
    const o1 = id('order');
    await inventory.reserve(
      { orderId: o1, lines: [{ sku, quantity: 3 }] },
      { idempotencyKey: `order-${o1}/reserve` },
    );
    const r1 = await inventory.release(
      { orderId: o1, lines: [{ sku }] },
      { idempotencyKey: `order-${o1}/release` },
    );
    const r2 = await inventory.release(
      { orderId: o1, lines: [{ sku }] },
      { idempotencyKey: `order-${o1}/release` },
    );
    assert.deepEqual(
      [r1.lines[0]!.appended, r2.lines[0]!.appended, r2.lines[0]!.status],
      [true, false, 'released'],
    );
    // a late retry of the reservation after its release does not reserve again
    await inventory.reserve(
      { orderId: o1, lines: [{ sku, quantity: 3 }] },
      { idempotencyKey: `order-${o1}/reserve` },
    );
    assert.equal((await inventory.getItem(sku))?.available, 4);
    const none = await inventory.release(
      { orderId: id('order'), lines: [{ sku }, { sku: id('unknown') }] },
      { idempotencyKey: 'k' },
    );
    assert.ok(none.lines.every((l) => !l.appended && l.status === 'none'));

    const o2 = id('order');
    await inventory.reserve(
      { orderId: o2, lines: [{ sku, quantity: 2 }] },
      { idempotencyKey: `order-${o2}/reserve` },
    );
    await inventory.commit({ orderId: o2, lines: [{ sku }] }, { idempotencyKey: `order-${o2}/commit` });
    await inventory.commit({ orderId: o2, lines: [{ sku }] }, { idempotencyKey: `order-${o2}/commit` });
    await inventory.release({ orderId: o2, lines: [{ sku }] }, { idempotencyKey: `order-${o2}/release` });
    const s = await inventory.getItem(sku);
    assert.deepEqual([s?.available, s?.reserved, s?.shipped], [2, 0, 2]);
  });

  it('getItem answers the item as of an earlier instant', async () => {
    const sku = await item(3, 100);
    await clockPast((await inventory.getItemEvents(sku)).at(-1)!.recordedAt);
    await inventory.upsertItem({ sku, name: 'renamed', price: 250 });
    const events = await inventory.getItemEvents(sku);
    const t = Date.parse(events[1]!.recordedAt);
    const t2 = Date.parse(events[2]!.recordedAt);
    assert.ok(t2 - t >= 2);
    const then = await inventory.getItem(sku, { asOf: new Date(Math.floor((t + t2) / 2)) });
    assert.deepEqual([then?.price, then?.available], [100, 3]);
    assert.equal((await inventory.getItem(sku))?.price, 250);
  });
});

describe('orders service', () => {
  const input = (orderId: string): PlaceOrderInput => ({
    orderId,
    customerId: 'cust-1',
    lines: [{ sku: 'A', quantity: 2, unitPrice: 300 }],
    total: 600,
    currency: 'USD',
    shippingAddress: address,
    placedAt: new Date().toISOString(),
  });

  it('an order goes placed → completed; every step retried writes nothing; the audit trail is versions 1..n', async () => {
    const o = id('order');
    const key = (s: string) => ({ idempotencyKey: `order-${o}/${s}`, requestId: 'req-9' });
    assert.equal((await orders.place(input(o), key('place'))).appended, true);
    assert.equal((await orders.place(input(o), key('place'))).appended, false);
    await orders.markInventoryReserved({ orderId: o }, key('reserve'));
    await orders.markPaid({ orderId: o, amount: 600 }, key('charge'));
    // the activity records "shipped" and "completed" under one step key: both must land
    await orders.markShipped(
      { orderId: o, shipmentId: `shp-${o}`, trackingNumber: 'TRK-1' },
      key('complete'),
    );
    const done = await orders.complete({ orderId: o }, key('complete'));
    assert.deepEqual([done.status, done.version, done.appended], ['COMPLETED', 5, true]);
    for (const retry of [
      () => orders.markInventoryReserved({ orderId: o }, key('reserve')),
      () => orders.markPaid({ orderId: o, amount: 600 }, key('charge')),
      () =>
        orders.markShipped({ orderId: o, shipmentId: `shp-${o}`, trackingNumber: 'TRK-1' }, key('complete')),
      () => orders.complete({ orderId: o }, key('complete')),
    ]) {
      assert.equal((await retry()).appended, false);
    }
    const events = await orders.getOrderEvents(o);
    assert.deepEqual(
      events.map((e) => [e.version, e.type]),
      [
        [1, 'OrderPlaced'],
        [2, 'OrderInventoryReserved'],
        [3, 'OrderPaid'],
        [4, 'OrderShipped'],
        [5, 'OrderCompleted'],
      ],
    );
    assert.equal(await count('orders', 'outbox', `order-${o}`), 5);
    const meta = await pool.query<{ metadata: Record<string, unknown> }>(
      'SELECT metadata FROM orders.events WHERE stream_id = $1 ORDER BY version LIMIT 1',
      [`order-${o}`],
    );
    assert.equal(meta.rows[0]!.metadata.correlationId, o);
    assert.equal(meta.rows[0]!.metadata.requestId, 'req-9');
    assert.equal((await orders.getOrder(o))?.trackingNumber, 'TRK-1');
  });

  it('invalid transitions are refused; fail/cancel of an unknown order are no-ops; cancel after shipping is refused', async () => {
    const o = id('order');
    assert.equal((await orders.fail({ orderId: o, reason: 'x', step: 'place' })).appended, false);
    assert.equal((await orders.cancel({ orderId: o, reason: 'x' })).appended, false);
    assert.equal(await orders.getOrder(o), undefined);
    await orders.place(input(o));
    await rejectsWith(orders.markPaid({ orderId: o, amount: 600 }), 'InvalidTransition');
    await orders.markInventoryReserved({ orderId: o });
    await orders.markPaid({ orderId: o, amount: 600 });
    await orders.markShipped({ orderId: o, shipmentId: 's', trackingNumber: 't' });
    await rejectsWith(orders.cancel({ orderId: o, reason: 'too late' }), 'InvalidTransition');

    const f = id('order');
    await orders.place(input(f));
    const failed = await orders.fail({ orderId: f, reason: 'no stock', step: 'reserve' });
    assert.equal(failed.status, 'FAILED');
    assert.equal((await orders.fail({ orderId: f, reason: 'no stock', step: 'reserve' })).appended, false);
    assert.deepEqual((await orders.getOrder(f))?.failure, { reason: 'no stock', step: 'reserve' });
    await rejectsWith(orders.markInventoryReserved({ orderId: f }), 'InvalidTransition');
  });
});

describe('shipping service', () => {
  it('create refuses an unsupported country and writes nothing; create, dispatch and cancel are idempotent', async () => {
    const o = id('order');
    const lines = [{ sku: 'A', quantity: 1 }];
    await rejectsWith(
      shipping.create({ orderId: o, address: { ...address, country: 'BR' }, lines }),
      'UnsupportedCountry',
    );
    assert.equal(await count('shipping', 'events', `shipment-${o}`), 0);
    assert.deepEqual(await shipping.cancel({ orderId: o, reason: 'nothing to cancel' }), {
      cancelled: false,
      shipment: undefined,
    });

    const created = await shipping.create(
      { orderId: o, address, lines },
      { idempotencyKey: `order-${o}/ship` },
    );
    const again = await shipping.create(
      { orderId: o, address, lines },
      { idempotencyKey: `order-${o}/ship` },
    );
    assert.deepEqual(again, created);
    assert.equal(created.status, 'CREATED');
    const d = await shipping.dispatch(
      { orderId: o, trackingNumber: 'TRK-9' },
      { idempotencyKey: `order-${o}/ship` },
    );
    await shipping.dispatch({ orderId: o, trackingNumber: 'TRK-9' }, { idempotencyKey: `order-${o}/ship` });
    assert.deepEqual([d.status, d.trackingNumber, d.version], ['DISPATCHED', 'TRK-9', 2]);
    await rejectsWith(shipping.cancel({ orderId: o, reason: 'late' }), 'ShipmentAlreadyDispatched');
    assert.equal(await count('shipping', 'events', `shipment-${o}`), 2);

    const o2 = id('order');
    await shipping.create({ orderId: o2, address, lines });
    assert.equal((await shipping.cancel({ orderId: o2, reason: 'order failed' })).cancelled, true);
    assert.equal((await shipping.cancel({ orderId: o2, reason: 'order failed' })).cancelled, true);
    assert.equal(await count('shipping', 'events', `shipment-${o2}`), 2);
    await rejectsWith(shipping.dispatch({ orderId: o2, trackingNumber: 'T' }), 'InvalidTransition');
  });
});
