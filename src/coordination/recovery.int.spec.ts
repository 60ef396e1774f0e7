/**
 * The recovery sweep and the 3PC timeout rule on a real Postgres: a prepared transaction with a recorded
 * decision is finished by it, an undecided one stays in doubt (2PC blocks) until it is presumed aborted,
 * and past its deadline a pre-committed 3PC participant commits on its own while one that only voted yes
 * aborts. Nothing is stubbed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createPool } from '../db/pool';
import { gidOf } from '../domain/coordination';
import type { RunningPostgres } from '../platform/postgres';
import { createInventoryService } from '../services/inventory';
import { inventoryParticipant } from '../services/inventory/participant';
import { startTestPostgres } from '../../test/support/stack';
import { recordDecision } from './decisions';
import { listPrepared, prepare } from './participant';
import { inDoubtStatus, sweepInDoubt } from './recovery';
import { readState, recordPrepared, recordPreCommitted } from './three-phase';
import type { AtomicOrder } from './types';

describe('recovery sweep and 3PC timeout rule (real Postgres prepared transactions)', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  before(async () => {
    pg = await startTestPostgres();
    pool = createPool(pg.url, { max: 10 });
  });
  after(async () => {
    await pool?.end();
    await pg?.stop();
  });

  async function preparedReservation(): Promise<{ order: AtomicOrder; gid: string; sku: string }> {
    const sku = `SKU-${randomUUID().slice(0, 8)}`;
    const inv = createInventoryService({ pool });
    await inv.upsertItem({ sku, name: sku, price: 100 });
    await inv.restock({ sku, quantity: 5 });
    const order: AtomicOrder = {
      orderId: randomUUID(),
      customerId: 'c',
      lines: [{ sku, quantity: 1, unitPrice: 100 }],
      total: 100,
      currency: 'USD',
      shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: 'D', country: 'US' },
      placedAt: new Date().toISOString(),
    };
    const gid = gidOf(order.orderId, 'apply', 'inventory');
    assert.deepEqual(await prepare(pool, gid, 'inventory', inventoryParticipant(pool).apply(order, {})), {
      vote: 'yes',
    });
    return { order, gid, sku };
  }
  const reserved = async (sku: string) => (await createInventoryService({ pool }).getItem(sku))!.reserved;

  it('2PC: undecided stays in doubt (counted, with its age); a recorded commit is applied by the sweep', async () => {
    const { order, gid, sku } = await preparedReservation();
    await sweepInDoubt(pool, { participant: 'inventory', presumeAbortAfterMs: 3_600_000 });
    assert.ok(
      (await listPrepared(pool)).some((p) => p.gid === gid),
      'undecided: left in doubt',
    );
    assert.ok((await inDoubtStatus(pool, 'inventory')).count >= 1);
    await recordDecision(
      pool,
      { orderId: order.orderId, kind: 'apply', mode: '2pc' },
      'commit',
      'coordinator',
    );
    const r = await sweepInDoubt(pool, { participant: 'inventory', presumeAbortAfterMs: 3_600_000 });
    assert.deepEqual(r.resolved, [{ gid, outcome: 'commit' }]);
    assert.equal(r.count, 0);
    assert.equal(await reserved(sku), 1);
  });

  it('2PC: past presumeAbortAfterMs an undecided transaction is presumed aborted, and a later coordinator follows that', async () => {
    const { order, gid, sku } = await preparedReservation();
    const r = await sweepInDoubt(pool, { participant: 'inventory', presumeAbortAfterMs: 0 });
    assert.deepEqual(r.resolved, [{ gid, outcome: 'abort' }]);
    assert.equal(await reserved(sku), 0);
    const late = await recordDecision(
      pool,
      { orderId: order.orderId, kind: 'apply', mode: '2pc' },
      'commit',
      'coordinator',
    );
    assert.equal(late.decision, 'abort');
  });

  it('3PC: past the deadline a pre-committed participant commits on its own, one that only voted yes aborts', async () => {
    const pre = await preparedReservation();
    await recordPrepared(pool, { orderId: pre.order.orderId, kind: 'apply', participant: 'inventory' }, 0);
    assert.equal(await recordPreCommitted(pool, pre.gid, 0), true);
    const only = await preparedReservation();
    await recordPrepared(pool, { orderId: only.order.orderId, kind: 'apply', participant: 'inventory' }, 0);
    await sweepInDoubt(pool, { participant: 'inventory', presumeAbortAfterMs: 3_600_000 });
    assert.equal((await readState(pool, pre.gid))?.outcome, 'commit');
    assert.equal((await readState(pool, pre.gid))?.resolvedBy, 'timeout');
    assert.equal(await reserved(pre.sku), 1);
    assert.equal((await readState(pool, only.gid))?.outcome, 'abort');
    assert.equal(await reserved(only.sku), 0);
    assert.equal(await recordPreCommitted(pool, only.gid, 1000), false, 'a late pre-commit cannot land');
    assert.equal((await inDoubtStatus(pool)).count, 0);
  });
});
