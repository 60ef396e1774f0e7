/**
 * A voting worker's two pools under contention, as run-worker.ts builds them: a small main pool (here 2
 * connections) for prepares, and the coordination pool (here 1) for the protocol's steps after a yes vote.
 * On one hot SKU, every other order's prepare waits on the row lock of the order that voted yes, each
 * holding a main-pool connection while it waits; the lock holder's own next steps must not need one, or
 * they queue behind the sessions they make wait and every waiter ends with LockTimeout (how the bench's
 * hot-SKU 3PC run ended: 0 of 30 orders completed). Real Postgres; the activities are called directly, as
 * a worker would (no Temporal).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { eventually } from '../../../test/support/eventually';
import { lockWaiters as countLockWaiters } from '../../../test/support/locks';
import { startTestPostgres } from '../../../test/support/stack';
import { listPrepared } from '../../coordination/participant';
import type { AtomicOrder, ParticipantWork } from '../../coordination/types';
import { createPool } from '../../db/pool';
import type { RunningPostgres } from '../../platform/postgres';
import { createInventoryService } from '../../services/inventory';
import { inventoryParticipant } from '../../services/inventory/participant';
import { createParticipantActivities, type PrepareArgs, type Vote } from './participant';

describe('3PC participant on a hot SKU with its main pool full of waiting prepares (real Postgres)', () => {
  let pg: RunningPostgres;
  let admin: Pool;
  let main: Pool;
  let coordination: Pool;

  before(async () => {
    pg = await startTestPostgres();
    admin = createPool(pg.url, { max: 4 });
    main = createPool(pg.url, { max: 2 });
    coordination = createPool(pg.url, { max: 1 });
  });
  after(async () => {
    await Promise.all([admin?.end(), main?.end(), coordination?.end()]);
    await pg?.stop();
  });

  const lockWaiters = () => countLockWaiters(admin);

  function orderOf(sku: string): AtomicOrder {
    return {
      orderId: `hot-${randomUUID()}`,
      customerId: `c-${randomUUID()}`,
      lines: [{ sku, quantity: 1, unitPrice: 250 }],
      total: 250,
      currency: 'USD',
      shippingAddress: { name: 'A', line1: '1 Main St', city: 'X', postalCode: '12345', country: 'US' },
      placedAt: new Date().toISOString(),
    };
  }

  it('the order holding the lock records its vote, pre-commits and commits while the others wait: then each of them votes yes in turn (none LockTimeout)', async () => {
    const sku = `HOT-${randomUUID().slice(0, 8)}`;
    const inventory = createInventoryService({ pool: admin });
    await inventory.upsertItem({ sku, name: sku, price: 250 });
    await inventory.restock({ sku, quantity: 10 });
    const [a, b, c] = [orderOf(sku), orderOf(sku), orderOf(sku)] as const;
    const real = inventoryParticipant(main);
    const others: Promise<Vote>[] = [];
    // a's work runs its reservation, then starts b's and c's prepares and returns only once b waits on a's
    // row lock (holding the second main connection) and c waits for a connection: the moment a's PREPARE
    // frees its own connection, c takes it and waits on the lock too, and the main pool is all waiters
    const work: ParticipantWork = {
      apply: (order, meta) => async (store) => {
        await real.apply(order, meta)(store);
        if (order.orderId !== a.orderId) return;
        others.push(prepare(b), prepare(c));
        await eventually(
          async () => {
            assert.equal(await lockWaiters(), 1, 'b waits on the lock');
            assert.equal(main.waitingCount, 1, 'c waits for a connection');
          },
          { timeoutMs: 30_000 },
        );
      },
      reverse: (order, why, meta) => real.reverse(order, why, meta),
    };
    const acts = createParticipantActivities({
      pool: main,
      finishPool: coordination,
      participant: 'inventory',
      work,
      prepareLockTimeoutMs: 10_000,
    });
    const args = (o: AtomicOrder): PrepareArgs => ({
      orderId: o.orderId,
      kind: 'apply',
      order: o,
      threePcTimeoutMs: 60_000,
      key: `${o.orderId}:can-commit`,
    });
    const prepare = (o: AtomicOrder) => acts.prepareTransaction(args(o));
    const complete = async (o: AtomicOrder) => {
      assert.equal(
        await acts.preCommitTransaction({ orderId: o.orderId, kind: 'apply', threePcTimeoutMs: 60_000 }),
        true,
      );
      return acts.finishTransaction({ orderId: o.orderId, kind: 'apply', decision: 'commit' });
    };

    assert.deepEqual(await prepare(a), { vote: 'yes' });
    await eventually(async () => assert.equal(await lockWaiters(), 2, 'b and c wait on the lock'), {
      timeoutMs: 30_000,
    });
    assert.equal((await complete(a)).outcome, 'commit');
    // b or c gets the lock next: each is committed as soon as its vote is in, releasing the lock to the other
    const [pb, pc] = others;
    const first = await Promise.race([pb!.then((v) => ({ o: b, v })), pc!.then((v) => ({ o: c, v }))]);
    assert.deepEqual(first.v, { vote: 'yes' });
    await complete(first.o);
    const [other, vote] = first.o === b ? [c, pc!] : [b, pb!];
    assert.deepEqual(await vote, { vote: 'yes' });
    await complete(other);
    assert.deepEqual(await listPrepared(admin), [], 'every prepared transaction was finished');
    const item = await inventory.getItem(sku);
    assert.equal(item?.available, 7, 'three units reserved, one per order');
  });
});
