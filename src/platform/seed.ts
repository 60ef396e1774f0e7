/**
 * Demo data for `npm start`: a small catalog with stock, two customers with money, and tokens to use them.
 * Every write is idempotent (fixed ids), so a restart changes nothing.
 */
import { SignJWT } from 'jose';

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

export async function seedDemoData(_databaseUrl: string): Promise<void> {
  // filled in when the services land
}

export interface DemoCredential {
  envName: string;
  token: string;
  description: string;
}

export async function demoCredentials(secret: string, ttlSeconds = 24 * 3600): Promise<DemoCredential[]> {
  const key = new TextEncoder().encode(secret);
  const mint = (sub: string, role: 'customer' | 'admin') =>
    new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(key);
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
