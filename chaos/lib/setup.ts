/** The chaos run's catalog and customers, set up through the API as an admin before the first scenario. */
import type { ApiClient } from './http';
import type { Customer } from './orders-client';
import { SKUS, type ScenarioContext } from '../scenarios/context';

export async function setUp(
  api: ApiClient,
  admin: string,
  customer: (id: string) => Promise<Customer>,
): Promise<ScenarioContext['people']> {
  const must = async (p: Promise<{ status: number; text: string }>, what: string) => {
    const r = await p;
    if (r.status < 200 || r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
  };
  for (const s of Object.values(SKUS)) {
    await must(
      api.request('PUT', `/inventory/${s.sku}`, { token: admin, body: { name: s.name, price: s.price } }),
      `define ${s.sku}`,
    );
    if (s.stock > 0)
      await must(
        api.request('POST', `/inventory/${s.sku}/restock`, {
          token: admin,
          body: { quantity: s.stock },
          idempotencyKey: `chaos-restock-${s.sku}`,
        }),
        `restock ${s.sku}`,
      );
  }
  const rich = await Promise.all(
    Array.from({ length: 20 }, (_, i) => customer(`chaos-c${String(i).padStart(2, '0')}`)),
  );
  const poor = await customer('chaos-poor');
  const idem = await customer('chaos-idem');
  const deposit = (c: Customer, amount: number) =>
    must(
      api.request('POST', `/accounts/${c.id}/deposits`, {
        token: admin,
        body: { amount },
        idempotencyKey: `chaos-deposit-${c.id}`,
      }),
      `deposit ${c.id}`,
    );
  for (const c of [...rich, idem]) await deposit(c, 10_000_000);
  await deposit(poor, 3_00);
  return { rich, poor, idem };
}
