/**
 * Demo data for `npm start`: a small catalog with stock, two customers with money, and tokens to use them.
 * Every write is idempotent (fixed ids), so a restart changes nothing.
 */
import { mintToken } from '../api/tokens';
import { createPool } from '../db/pool';
import { createInventoryService } from '../services/inventory';
import { createPaymentsService } from '../services/payments';

export const DEMO_CUSTOMERS = [
  { id: 'cust-alice', envName: 'ALICE_TOKEN', name: 'Alice', deposit: 500_00 },
  { id: 'cust-bob', envName: 'BOB_TOKEN', name: 'Bob', deposit: 200_00 },
] as const;

export const DEMO_CATALOG = [
  { sku: 'SKU-KEYBOARD', name: 'Mechanical keyboard', price: 89_00, stock: 100 },
  { sku: 'SKU-MOUSE', name: 'Wireless mouse', price: 29_50, stock: 200 },
  { sku: 'SKU-MONITOR', name: '27" monitor', price: 249_00, stock: 20 },
  { sku: 'SKU-CABLE', name: 'USB-C cable', price: 9_99, stock: 1000 },
  { sku: 'SKU-LAST-ONE', name: 'Limited edition mug', price: 15_00, stock: 1 },
] as const;

/**
 * Idempotent: the catalog entry is only defined when missing (so an admin's later price change survives a
 * restart), and restocks and deposits carry fixed ids, so the event store turns a repeat into a no-op.
 */
export async function seedDemoData(databaseUrl: string): Promise<{ items: number; customers: number }> {
  const pool = createPool(databaseUrl, { max: 2, applicationName: 'order-saga-seed' });
  try {
    const inventory = createInventoryService({ pool });
    const payments = createPaymentsService({ pool });
    const meta = { actor: 'seed', correlationId: 'demo-seed' };
    for (const item of DEMO_CATALOG) {
      if (!(await inventory.getItem(item.sku))) {
        await inventory.upsertItem({ sku: item.sku, name: item.name, price: item.price }, meta);
      }
      await inventory.restock(
        { sku: item.sku, quantity: item.stock, restockId: `demo-seed-${item.sku}` },
        meta,
      );
    }
    for (const c of DEMO_CUSTOMERS) {
      await payments.deposit({ customerId: c.id, amount: c.deposit, depositId: `demo-seed-${c.id}` }, meta);
    }
    return { items: DEMO_CATALOG.length, customers: DEMO_CUSTOMERS.length };
  } finally {
    await pool.end();
  }
}

export interface DemoCredential {
  envName: string;
  token: string;
  description: string;
}

export async function demoCredentials(secret: string, ttlSeconds = 24 * 3600): Promise<DemoCredential[]> {
  const mint = (sub: string, role: 'customer' | 'admin') => mintToken(secret, { sub, role, ttlSeconds });
  return [
    {
      envName: 'ADMIN_TOKEN',
      token: await mint('admin', 'admin'),
      description: 'admin: deposits, catalog, restock, all orders',
    },
    ...(await Promise.all(
      DEMO_CUSTOMERS.map(async (c) => ({
        envName: c.envName,
        token: await mint(c.id, 'customer'),
        description: `customer ${c.id} (${c.name}, $${(c.deposit / 100).toFixed(2)} deposited)`,
      })),
    )),
  ];
}
