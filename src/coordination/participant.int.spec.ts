/**
 * Participants of an atomic commit on a real Postgres (prepared transactions, max_prepared_transactions set by
 * the throwaway Postgres): a prepared vote holds its row locks, COMMIT/ROLLBACK PREPARED apply or discard the
 * events and their outbox rows as one, a refusal votes no and leaves nothing, and every step is idempotent.
 * Nothing is stubbed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createPool } from '../db/pool';
import { gidOf, type Participant } from '../domain/coordination';
import type { RunningPostgres } from '../platform/postgres';
import { createInventoryService } from '../services/inventory';
import { inventoryParticipant } from '../services/inventory/participant';
import { createOrdersService } from '../services/orders';
import { ordersParticipant } from '../services/orders/participant';
import { createPaymentsService } from '../services/payments';
import { paymentsParticipant } from '../services/payments/participant';
import { startTestPostgres } from '../../test/support/stack';
import { eventually } from '../../test/support/eventually';
import { lockWaiters as countLockWaiters } from '../../test/support/locks';
import { finish, listPrepared, prepare } from './participant';
import type { AtomicOrder, ParticipantWork } from './types';

describe('atomic-commit participants (real Postgres prepared transactions)', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  let work: Record<Participant, ParticipantWork>;

  before(async () => {
    pg = await startTestPostgres();
    pool = createPool(pg.url, { max: 20 });
    work = {
      orders: ordersParticipant(pool),
      inventory: inventoryParticipant(pool),
      payments: paymentsParticipant(pool),
    };
  });
  afterEach(async () => {
    assert.deepEqual(await listPrepared(pool), [], 'no prepared transaction is left behind');
  });
  after(async () => {
    await pool?.end();
    await pg?.stop();
  });

  const inventory = () => createInventoryService({ pool });
  async function stockedSku(available: number): Promise<string> {
    const sku = `SKU-${randomUUID().slice(0, 8)}`;
    await inventory().upsertItem({ sku, name: sku, price: 250 });
    await inventory().restock({ sku, quantity: available });
    return sku;
  }
  function orderOf(sku: string, quantity: number, customerId = `c-${randomUUID()}`): AtomicOrder {
    return {
      orderId: randomUUID(),
      customerId,
      lines: [{ sku, quantity, unitPrice: 250 }],
      total: quantity * 250,
      currency: 'USD',
      shippingAddress: {
        name: 'A',
        line1: '1 Main St',
        city: 'Springfield',
        postalCode: '12345',
        country: 'US',
      },
      placedAt: new Date().toISOString(),
    };
  }
  const outboxRows = async (schema: string, aggregateId: string) =>
    Number(
      (
        await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${schema}.outbox WHERE aggregate_id = $1`,
          [aggregateId],
        )
      ).rows[0]!.n,
    );
  const lockWaiters = () => countLockWaiters(pool);

  it('a prepared reservation holds its row lock: another order for the same SKU waits until COMMIT PREPARED, then both stand', async () => {
    const sku = await stockedSku(10);
    const a = orderOf(sku, 3);
    const gid = gidOf(a.orderId, 'apply', 'inventory');
    assert.deepEqual(await prepare(pool, gid, 'inventory', work.inventory.apply(a, {})), { vote: 'yes' });
    assert.deepEqual(
      (await listPrepared(pool)).map((p) => p.gid),
      [gid],
    );
    assert.equal((await inventory().getItem(sku))!.reserved, 0, 'a prepared reservation is invisible');

    let settled = false;
    const other = inventory()
      .reserve({ orderId: randomUUID(), lines: [{ sku, quantity: 2 }] })
      .finally(() => (settled = true));
    await eventually(async () => assert.equal(await lockWaiters(), 1), {
      what: 'the other order to wait on the lock',
    });
    assert.equal(settled, false, 'the other order is still waiting while the transaction is prepared');

    assert.equal(await finish(pool, gid, 'commit'), 'finished');
    await other;
    const item = (await inventory().getItem(sku))!;
    assert.equal(item.reserved, 5);
    assert.equal(item.available, 5);
    assert.ok(
      (await outboxRows('inventory', `item-${sku}`)) >= 3,
      'the committed reservation published its event',
    );
  });

  it('ROLLBACK PREPARED discards the events and their outbox rows of all three participants', async () => {
    const sku = await stockedSku(5);
    const o = orderOf(sku, 2);
    await createPaymentsService({ pool }).deposit({ customerId: o.customerId, amount: 10_000 });
    const before = await outboxRows('inventory', `item-${sku}`);
    for (const p of ['orders', 'inventory', 'payments'] as const)
      assert.deepEqual(await prepare(pool, gidOf(o.orderId, 'apply', p), p, work[p].apply(o, {})), {
        vote: 'yes',
      });
    for (const p of ['orders', 'inventory', 'payments'] as const)
      assert.equal(await finish(pool, gidOf(o.orderId, 'apply', p), 'abort'), 'finished');

    assert.equal(await createOrdersService({ pool }).getOrder(o.orderId), undefined);
    assert.equal((await inventory().getItem(sku))!.available, 5);
    assert.equal((await createPaymentsService({ pool }).getAccount(o.customerId)).balance, 10_000);
    assert.equal(await outboxRows('orders', `order-${o.orderId}`), 0);
    assert.equal(await outboxRows('inventory', `item-${sku}`), before);
  });

  it('COMMIT PREPARED applies all three participants at once, outbox rows included; a repeat finds nothing to do', async () => {
    const sku = await stockedSku(5);
    const o = orderOf(sku, 2);
    await createPaymentsService({ pool }).deposit({ customerId: o.customerId, amount: 10_000 });
    for (const p of ['orders', 'inventory', 'payments'] as const) {
      const gid = gidOf(o.orderId, 'apply', p);
      assert.deepEqual(await prepare(pool, gid, p, work[p].apply(o, {})), { vote: 'yes' });
      assert.deepEqual(
        await prepare(pool, gid, p, work[p].apply(o, {})),
        { vote: 'yes' },
        'a retried prepare',
      );
    }
    for (const p of ['orders', 'inventory', 'payments'] as const)
      assert.equal(await finish(pool, gidOf(o.orderId, 'apply', p), 'commit'), 'finished');
    for (const p of ['orders', 'inventory', 'payments'] as const)
      assert.equal(await finish(pool, gidOf(o.orderId, 'apply', p), 'commit'), 'absent', 'a retried commit');

    assert.equal((await createOrdersService({ pool }).getOrder(o.orderId))!.status, 'PAID');
    assert.equal((await inventory().getItem(sku))!.reserved, 2);
    assert.equal((await createPaymentsService({ pool }).getAccount(o.customerId)).balance, 10_000 - 500);
    assert.equal(await outboxRows('orders', `order-${o.orderId}`), 3);
  });

  it('a refusal votes no and leaves nothing: no stock, no funds', async () => {
    const sku = await stockedSku(1);
    const o = orderOf(sku, 2);
    const noStock = await prepare(
      pool,
      gidOf(o.orderId, 'apply', 'inventory'),
      'inventory',
      work.inventory.apply(o, {}),
    );
    assert.equal(noStock.vote, 'no');
    assert.equal(noStock.vote === 'no' && noStock.code, 'InsufficientStock');
    const noFunds = await prepare(
      pool,
      gidOf(o.orderId, 'apply', 'payments'),
      'payments',
      work.payments.apply(o, {}),
    );
    assert.equal(noFunds.vote === 'no' && noFunds.code, 'InsufficientFunds');
    assert.equal((await inventory().getItem(sku))!.reserved, 0);
    assert.equal(await outboxRows('payments', `account-${o.customerId}`), 0);
  });

  it("a prepare that waits for another order's prepared lock gives up after the lock timeout: an apply votes no (LockTimeout), a reverse throws; no session is left waiting", async () => {
    const sku = await stockedSku(10);
    const a = orderOf(sku, 1);
    const held = gidOf(a.orderId, 'apply', 'inventory');
    assert.deepEqual(await prepare(pool, held, 'inventory', work.inventory.apply(a, {})), { vote: 'yes' });
    const b = orderOf(sku, 1);
    const started = Date.now();
    const vote = await prepare(
      pool,
      gidOf(b.orderId, 'apply', 'inventory'),
      'inventory',
      work.inventory.apply(b, {}),
      { lockTimeoutMs: 300, onTimeout: 'vote-no' },
    );
    assert.equal(vote.vote === 'no' && vote.code, 'LockTimeout');
    assert.ok(Date.now() - started >= 300, 'it waited for the lock first');
    await assert.rejects(
      prepare(pool, gidOf(b.orderId, 'reverse', 'inventory'), 'inventory', work.inventory.apply(b, {}), {
        lockTimeoutMs: 300,
        onTimeout: 'retry',
      }),
      (err: { code?: string }) => err.code === '55P03',
    );
    assert.equal(await lockWaiters(), 0, 'no session waits on after giving up');
    assert.deepEqual(
      (await listPrepared(pool)).map((p) => p.gid),
      [held],
      'only the holder is prepared',
    );
    assert.equal(await finish(pool, held, 'abort'), 'finished');
    assert.equal((await inventory().getItem(sku))!.reserved, 0);
  });

  it('a pooled session with lock_timeout (PG_LOCK_TIMEOUT_MS) that waits on a prepared lock fails with 55P03 and gives its connection back: an orchestrated reservation of the same SKU', async () => {
    const sku = await stockedSku(10);
    const a = orderOf(sku, 1);
    const held = gidOf(a.orderId, 'apply', 'inventory');
    assert.deepEqual(await prepare(pool, held, 'inventory', work.inventory.apply(a, {})), { vote: 'yes' });
    const bounded = createPool(pg.url, { max: 1, lockTimeoutMs: 300 });
    try {
      await assert.rejects(
        createInventoryService({ pool: bounded }).reserve({
          orderId: randomUUID(),
          lines: [{ sku, quantity: 1 }],
        }),
        (err: { code?: string }) => err.code === '55P03',
      );
      // the pool's one connection is free again: a read on it answers
      assert.equal((await bounded.query('SELECT 1 AS one')).rows[0].one, 1);
      assert.equal(await lockWaiters(), 0);
    } finally {
      await bounded.end();
      await finish(pool, held, 'abort');
    }
  });
});
