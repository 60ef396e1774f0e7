import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createPool, withTransaction } from '../../../db/pool';
import { orderDecider, orderStreamId, type OrderCommand, type OrderPlaced } from '../../../domain/order';
import { handleCommand } from '../../../eventstore/command';
import { checkEventStoreHealth } from '../../../eventstore/health';
import { startOutboxRelay, type OutboxRelay, type OutboxSubscriber } from '../../../eventstore/outbox-relay';
import {
  ProjectionGapError,
  applyInOrder,
  projectionsSubscriber,
  type Projection,
} from '../../../eventstore/projections/projection';
import { rebuildProjection } from '../../../eventstore/projections/rebuild';
import { createEventStore } from '../../../eventstore/store';
import type { EventStore } from '../../../eventstore/types';
import type { RunningPostgres } from '../../../platform/postgres';
import { eventually } from '../../../../test/support/eventually';
import { startTestPostgres } from '../../../../test/support/stack';
import { itemsOf, orderEventTime, orderProgress } from './progress';
import { ORDER_PROJECTION_HEALTH, ORDER_PROJECTIONS, orderSummaryProjection } from './projections';
import { getAnalytics, getOrderSummary, listOrders } from './queries';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const address = {
  name: 'A. Buyer',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

/** The next command in a random order lifecycle, or undefined when the order is finished. */
function nextCommand(
  step: number,
  random: () => number,
  orderId: string,
  customerId: string,
  now: string,
): OrderCommand | undefined {
  if (step === 0) {
    const n = 1 + Math.floor(random() * 3);
    const skus = ['SKU-A', 'SKU-B', 'SKU-C', 'SKU-D', 'SKU-E'].sort(() => random() - 0.5).slice(0, n);
    const lines = skus.map((sku) => ({
      sku,
      quantity: 1 + Math.floor(random() * 4),
      unitPrice: 100 * (1 + Math.floor(random() * 50)),
    }));
    const total = lines.reduce((t, l) => t + l.quantity * l.unitPrice, 0);
    return {
      type: 'PlaceOrder',
      orderId,
      customerId,
      lines,
      total,
      currency: 'USD',
      shippingAddress: address,
      now,
    };
  }
  const roll = random();
  if (step < 4 && roll < 0.08)
    return { type: 'FailOrder', reason: 'InsufficientStock', step: 'reserve', now };
  if (step < 3 && roll < 0.14) return { type: 'CancelOrder', reason: 'customer asked', now };
  switch (step) {
    case 1:
      return { type: 'MarkInventoryReserved', now };
    case 2:
      return { type: 'MarkPaid', amount: -1, now }; // amount filled in by the caller
    case 3:
      return { type: 'MarkShipped', shipmentId: `shp-${orderId}`, trackingNumber: 'TRK1', now };
    case 4:
      return { type: 'CompleteOrder', now };
    default:
      return undefined;
  }
}

async function dump(pool: Pool, table: string, orderBy: string): Promise<unknown[]> {
  return (await pool.query<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${orderBy}`)).rows;
}

/**
 * The read models as the TypeScript reference mapping defines them: a fold of orderProgress, itemsOf and
 * orderEventTime over each order's events, in the row shapes (and orders) of dump().
 */
async function foldOrderModels(store: EventStore, orderIds: string[]) {
  const summaries: Record<string, unknown>[] = [];
  const customerOrders: Record<string, unknown>[] = [];
  const daily = new Map<string, { day: string; status: string; orders: number; revenue: number }>();
  const skus = new Map<string, { sku: string; quantity: number; revenue: number; orders: number }>();
  for (const orderId of [...orderIds].sort()) {
    const [first, ...rest] = await store.readStream(orderStreamId(orderId));
    assert.equal(first?.type, 'OrderPlaced');
    const d = first.data as OrderPlaced['data'];
    const row = {
      order_id: orderId,
      customer_id: d.customerId,
      status: 'PENDING',
      saga_state: 'ORDER_PLACED',
      items: itemsOf(d),
      total: d.total,
      currency: d.currency,
      shipping_address: d.shippingAddress,
      failure_reason: null as string | null,
      created_at: new Date(d.placedAt),
      updated_at: new Date(d.placedAt),
      last_version: 1,
    };
    for (const e of rest) {
      row.last_version = e.version;
      const p = orderProgress(e);
      if (!p) continue;
      row.status = p.status;
      row.saga_state = p.sagaState;
      row.failure_reason = p.failureReason ?? row.failure_reason;
      row.updated_at = new Date(orderEventTime({ data: e.data, recordedAt: e.recordedAt.toISOString() }));
    }
    summaries.push(row);
    customerOrders.push({
      customer_id: row.customer_id,
      order_id: orderId,
      status: row.status,
      saga_state: row.saga_state,
      total: row.total,
      currency: row.currency,
      item_count: d.lines.length,
      created_at: row.created_at,
      updated_at: row.updated_at,
    });
    const day = new Date(d.placedAt).toISOString().slice(0, 10);
    const k = `${day} ${row.status}`;
    const dd = daily.get(k) ?? { day, status: row.status, orders: 0, revenue: 0 };
    dd.orders += 1;
    dd.revenue += d.total;
    daily.set(k, dd);
    if (row.status === 'FAILED' || row.status === 'CANCELLED') continue;
    for (const i of row.items) {
      const x = skus.get(i.sku) ?? { sku: i.sku, quantity: 0, revenue: 0, orders: 0 };
      x.quantity += i.quantity;
      x.revenue += i.lineTotal;
      x.orders += 1;
      skus.set(i.sku, x);
    }
  }
  const byKey = <T>(m: Map<string, T>) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  customerOrders.sort((a, b) => (String(a.order_id) < String(b.order_id) ? -1 : 1));
  return {
    summaries,
    customerOrders,
    // dump() reads `day` as a Date (local midnight of the date column): compare in that form
    daily: byKey(daily).map((x) => ({ ...x, day: new Date(`${x.day}T00:00:00`) })),
    skus: byKey(skus),
  };
}

describe('order read models (real Postgres)', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  let store: EventStore;
  let relay: OutboxRelay;

  before(async () => {
    pg = await startTestPostgres();
    pool = createPool(pg.url, { max: 20 });
    store = createEventStore({ pool, schema: 'orders' });
    relay = startOutboxRelay({
      pool,
      schema: 'orders',
      pollIntervalMs: 200,
      backoffMs: 20,
      maxBackoffMs: 200,
      subscribers: [projectionsSubscriber('orders', ORDER_PROJECTIONS)],
    });
  });
  after(async () => {
    await relay?.stop();
    await pool?.end();
    await pg?.stop();
  });

  const undeliveredRows = async () =>
    (
      await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM orders.outbox WHERE delivered_at IS NULL',
      )
    ).rows[0]!.n;

  it('a projection applies each stream in version order: a duplicate is ignored, a gap is waited for', async () => {
    const orderId = randomUUID();
    const streamId = orderStreamId(orderId);
    const env = (version: number, type: string, data: unknown) => ({
      eventId: randomUUID(),
      streamId,
      version,
      type,
      schemaVersion: 1,
      data,
      metadata: {},
      recordedAt: '2026-03-01T10:00:00.000Z',
    });
    const placed = env(1, 'OrderPlaced', {
      orderId,
      customerId: 'c-gap',
      lines: [{ sku: 'S', quantity: 2, unitPrice: 150 }],
      total: 300,
      currency: 'USD',
      shippingAddress: address,
      placedAt: '2026-03-01T10:00:00.000Z',
    });
    const reserved = env(2, 'OrderInventoryReserved', { orderId, at: '2026-03-01T10:01:00.000Z' });
    const paid = env(3, 'OrderPaid', { orderId, amount: 300, at: '2026-03-01T10:02:00.000Z' });
    const client = await pool.connect();
    try {
      const inTx = async (e: ReturnType<typeof env>) => {
        await client.query('BEGIN');
        try {
          const r = await applyInOrder(client, 'orders', orderSummaryProjection, e);
          await client.query('COMMIT');
          return r;
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      };
      assert.equal(await inTx(placed), 'applied');
      await assert.rejects(inTx(paid), ProjectionGapError);
      assert.equal((await getOrderSummary(pool, orderId))!.lastVersion, 1);
      assert.equal(await inTx(reserved), 'applied');
      assert.equal(await inTx(reserved), 'duplicate');
      assert.equal(await inTx(paid), 'applied');
      const s = (await getOrderSummary(pool, orderId))!;
      assert.equal(s.sagaState, 'PAYMENT_COMPLETED');
      assert.equal(s.lastVersion, 3);
      assert.deepEqual(s.items, [{ sku: 'S', quantity: 2, unitPrice: 150, lineTotal: 300 }]);
    } finally {
      // these events were never in the log: leave no trace for the rebuild test
      await client.query('DELETE FROM orders.order_summary WHERE order_id = $1', [orderId]);
      await client.query('DELETE FROM orders.projection_checkpoints WHERE stream_id = $1', [streamId]);
      client.release();
    }
  });

  it('after a few thousand random order events, the live read models equal their rebuild from the log', async () => {
    const random = rng(20261126);
    const orders = Array.from({ length: 700 }, (_, i) => ({
      orderId: randomUUID(),
      customerId: `cust-${i % 37}`,
      step: 0,
      total: 0,
      busy: false,
    }));
    let clock = Date.parse('2026-02-01T00:00:00Z');
    let events = 0;
    const open = [...orders];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (open.length > 0) {
          const free = open.filter((x) => !x.busy);
          const o = free[Math.floor(random() * free.length)];
          if (!o) {
            await new Promise((r) => setTimeout(r, 1));
            continue;
          }
          clock += Math.floor(random() * 600_000);
          const cmd = nextCommand(o.step, random, o.orderId, o.customerId, new Date(clock).toISOString());
          if (!cmd) {
            open.splice(open.indexOf(o), 1);
            continue;
          }
          if (cmd.type === 'MarkPaid') cmd.amount = o.total;
          if (cmd.type === 'PlaceOrder') o.total = cmd.total;
          o.step += 1;
          if (cmd.type === 'FailOrder' || cmd.type === 'CancelOrder') o.step = 99;
          o.busy = true;
          const r = await handleCommand(store, orderStreamId(o.orderId), orderDecider, cmd, {
            publish: true,
            metadata: { correlationId: o.orderId },
          });
          o.busy = false;
          events += r.events.length;
        }
      }),
    );
    assert.ok(events >= 2500, `${events} events`);
    await eventually(async () => assert.equal(await undeliveredRows(), 0, 'undelivered outbox rows'), {
      what: 'the relay to deliver everything',
      timeoutMs: 120_000,
    });

    const tables: [string, string][] = [
      ['orders.order_summary', 'order_id'],
      ['orders.customer_orders', 'customer_id, order_id'],
      ['orders.order_analytics_daily', 'day, status'],
      ['orders.order_analytics_skus', 'sku'],
      ['orders.order_analytics_orders', 'order_id'],
    ];
    const checkpoints = `(SELECT projection, stream_id, version FROM orders.projection_checkpoints) c`;
    const live = await Promise.all(tables.map(([t, o]) => dump(pool, t, o)));
    const liveCp = await dump(pool, checkpoints, 'projection, stream_id');
    assert.equal((live[0] as unknown[]).length, 700);

    // a bug in a projection would make a rebuild differ; a truncated rebuild would too
    await pool.query(`UPDATE orders.order_summary SET status = 'CORRUPTED'`);
    await pool.query(`DELETE FROM orders.order_analytics_skus`);
    const applied: number[] = [];
    for (const p of ORDER_PROJECTIONS)
      applied.push((await rebuildProjection(pool, 'orders', p, { batchSize: 500 })).applied);
    assert.ok(applied.every((n) => n >= events));

    const rebuilt = await Promise.all(tables.map(([t, o]) => dump(pool, t, o)));
    for (const [i, [t]] of tables.entries())
      assert.deepEqual(rebuilt[i], live[i], `${t} differs after rebuild`);
    assert.deepEqual(await dump(pool, checkpoints, 'projection, stream_id'), liveCp);

    // the live results make sense: analytics agree with the summaries
    const summaries = (
      await pool.query<{ status: string; total: number }>('SELECT status, total FROM orders.order_summary')
    ).rows;
    const analytics = await getAnalytics(pool);
    for (const status of ['PENDING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const) {
      const mine = summaries.filter((x) => x.status === status);
      assert.equal(analytics.totals[status]?.orders ?? 0, mine.length, status);
      assert.equal(
        analytics.totals[status]?.revenue ?? 0,
        mine.reduce((t, x) => t + Number(x.total), 0),
        status,
      );
    }
    assert.ok(analytics.topSkus.length > 0 && analytics.topSkus.length <= 10);

    // and every model equals a fold of the TypeScript reference (orderProgress, itemsOf, orderEventTime) over
    // the log: the SQL projections implement the same mapping
    const expected = await foldOrderModels(
      store,
      orders.map((o) => o.orderId),
    );
    assert.deepEqual(await dump(pool, 'orders.order_summary', 'order_id'), expected.summaries);
    assert.deepEqual(await dump(pool, 'orders.customer_orders', 'order_id'), expected.customerOrders);
    assert.deepEqual(
      await dump(pool, '(SELECT * FROM orders.order_analytics_daily WHERE orders <> 0) d', 'day, status'),
      expected.daily,
    );
    assert.deepEqual(
      await dump(pool, '(SELECT * FROM orders.order_analytics_skus WHERE orders <> 0) s', 'sku'),
      expected.skus,
    );

    const health = await checkEventStoreHealth(pool, 'orders', ORDER_PROJECTION_HEALTH);
    assert.equal(health.ok, true, health.error);
    assert.equal(health.projections.order_summary!.streamsBehind, 0);
  });

  it("lists a customer's orders newest first with a keyset cursor, and filters by status", async () => {
    const customerId = `cust-page-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const orderId = randomUUID();
      ids.push(orderId);
      await handleCommand(
        store,
        orderStreamId(orderId),
        orderDecider,
        {
          type: 'PlaceOrder',
          orderId,
          customerId,
          lines: [{ sku: 'SKU-P', quantity: 1, unitPrice: 500 }],
          total: 500,
          currency: 'USD',
          shippingAddress: address,
          // two orders share a timestamp: the order id breaks the tie
          now: new Date(Date.parse('2026-05-01T00:00:00Z') + Math.min(i, 5) * 1000).toISOString(),
        },
        { publish: true },
      );
    }
    await handleCommand(
      store,
      orderStreamId(ids[0]!),
      orderDecider,
      { type: 'CancelOrder', reason: 'r', now: '2026-05-02T00:00:00Z' },
      { publish: true },
    );
    await eventually(
      async () => {
        assert.equal(await undeliveredRows(), 0, 'undelivered outbox rows');
        assert.equal((await getOrderSummary(pool, ids[0]!))?.status, 'CANCELLED');
      },
      { what: 'projection', timeoutMs: 120_000 },
    );

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await listOrders(pool, { customerId, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...r.items.map((x) => x.orderId));
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    const expected = [
      ...(
        await pool.query<{ order_id: string }>(
          'SELECT order_id FROM orders.customer_orders WHERE customer_id = $1 ORDER BY created_at DESC, order_id DESC',
          [customerId],
        )
      ).rows.map((x) => x.order_id),
    ];
    assert.equal(seen.length, 7);
    assert.deepEqual(seen, expected);
    assert.equal(seen[seen.length - 1], ids[0]);

    const cancelled = await listOrders(pool, { customerId, status: 'CANCELLED', limit: 10 });
    assert.deepEqual(
      cancelled.items.map((x) => x.orderId),
      [ids[0]],
    );
    const all = await listOrders(pool, { limit: 2 });
    assert.equal(all.items.length, 2);
    assert.ok(all.nextCursor);
  });

  it('the combined subscriber applies a message to every projection in one transaction, or to none', async () => {
    const orderId = randomUUID();
    const streamId = orderStreamId(orderId);
    const placed = {
      eventId: randomUUID(),
      streamId,
      version: 1,
      type: 'OrderPlaced',
      schemaVersion: 1,
      data: {
        orderId,
        customerId: 'c-combined',
        lines: [{ sku: 'S', quantity: 1, unitPrice: 100 }],
        total: 100,
        currency: 'USD',
        shippingAddress: address,
        placedAt: '2026-03-01T10:00:00.000Z',
      },
      metadata: {},
      recordedAt: '2026-03-01T10:00:00.000Z',
    };
    const delivery = {
      id: placed.eventId,
      topic: 'orders.OrderPlaced',
      aggregateId: streamId,
      payload: placed,
      metadata: {},
      position: 1,
      attempts: 0,
      createdAt: new Date(),
    };
    const failing: Projection = {
      name: 'failing',
      tables: [],
      handles: () => true,
      apply: () => Promise.reject(new Error('read model down')),
    };
    // the relay runs the subscriber in its transaction for the message (here: withTransaction)
    const deliver = (sub: OutboxSubscriber) =>
      withTransaction(pool, (client) => sub.handleInTransaction!(client, delivery));
    // a failure in the last projection rolls back what the others applied
    await assert.rejects(
      deliver(projectionsSubscriber('orders', [...ORDER_PROJECTIONS, failing])),
      /read model down/,
    );
    assert.equal(await getOrderSummary(pool, orderId), null);
    const none = await pool.query('SELECT 1 FROM orders.projection_checkpoints WHERE stream_id = $1', [
      streamId,
    ]);
    assert.equal(none.rowCount, 0);
    // delivered again without it: every projection applies it, in one transaction; a redelivery is a no-op
    const combined = projectionsSubscriber('orders', ORDER_PROJECTIONS);
    await deliver(combined);
    await deliver(combined);
    const cp = await pool.query<{ projection: string; version: number; tx: string }>(
      'SELECT projection, version, xmin::text AS tx FROM orders.projection_checkpoints WHERE stream_id = $1',
      [streamId],
    );
    assert.deepEqual(cp.rows.map((r) => r.projection).sort(), ORDER_PROJECTIONS.map((p) => p.name).sort());
    assert.ok(cp.rows.every((r) => r.version === 1));
    assert.equal(new Set(cp.rows.map((r) => r.tx)).size, 1, 'one transaction for all projections');
    assert.equal((await getOrderSummary(pool, orderId))!.lastVersion, 1);
  });
});
