import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPostgres } from '../../test/support/stack';
import { createPool, type Pool } from '../db/pool';
import { createInventoryService } from '../services/inventory';
import { createPaymentsService } from '../services/payments';
import type { RunningPostgres } from './postgres';
import { DEMO_CATALOG, DEMO_CUSTOMERS, seedDemoData } from './seed';

describe('demo data for npm start', () => {
  let pg: RunningPostgres;
  let pool: Pool;
  before(async () => {
    pg = await startTestPostgres();
    pool = createPool(pg.url, { max: 2 });
  });
  after(async () => {
    await pool.end();
    await pg.stop();
  });

  it('gives the demo customers money and the catalog stock, and a second start changes nothing', async () => {
    await seedDemoData(pg.url);
    await seedDemoData(pg.url);
    const payments = createPaymentsService({ pool });
    const inventory = createInventoryService({ pool });
    for (const c of DEMO_CUSTOMERS) {
      const account = await payments.getAccount(c.id);
      assert.equal(account.balance, c.deposit, `${c.id} deposited once`);
    }
    for (const item of DEMO_CATALOG) {
      const view = await inventory.getItem(item.sku);
      assert.ok(view, `${item.sku} in the catalog`);
      assert.equal(view.available, item.stock, `${item.sku} restocked once`);
      assert.equal(view.price, item.price);
    }
  });
});
