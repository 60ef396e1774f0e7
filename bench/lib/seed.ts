/**
 * The bench's catalog and customers: one SKU and one customer per in-flight slot (CUSTOMERS of each), so
 * concurrent orders do not contend on one stream; created through the API as an admin.
 */
import { randomUUID } from 'node:crypto';
import type { Stack } from '../../src/platform/stack';
import { api } from './api';

export const CUSTOMERS = 64;
export const customerOf = (i: number) => `bench-cust-${i % CUSTOMERS}`;
export const skuOf = (i: number) => `BENCH-SKU-${i % CUSTOMERS}`;
export const ADDRESS = {
  name: 'Bench',
  line1: '1 Bench St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

export async function seedBenchData(stack: Stack, admin: string): Promise<void> {
  const tag = randomUUID().slice(0, 8);
  const one = async (i: number) => {
    const put = await api(stack, admin, 'PUT', `/inventory/${skuOf(i)}`, {
      name: `Bench item ${i}`,
      price: 100,
    });
    if (put.status >= 300) throw new Error(`PUT /inventory: ${put.status} ${JSON.stringify(put.json)}`);
    const restock = await api(
      stack,
      admin,
      'POST',
      `/inventory/${skuOf(i)}/restock`,
      { quantity: 1_000_000 },
      `bench-restock-${tag}-${i}`,
    );
    if (restock.status >= 300) throw new Error(`restock: ${restock.status} ${JSON.stringify(restock.json)}`);
    const dep = await api(
      stack,
      admin,
      'POST',
      `/accounts/${customerOf(i)}/deposits`,
      { amount: 10_000_000_00 },
      `bench-deposit-${tag}-${i}`,
    );
    if (dep.status >= 300) throw new Error(`deposit: ${dep.status} ${JSON.stringify(dep.json)}`);
  };
  for (let i = 0; i < CUSTOMERS; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, CUSTOMERS - i) }, (_, j) => one(i + j)));
  }
}
