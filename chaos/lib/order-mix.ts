/**
 * The chaos order mix (happy orders, insufficient funds, an unsupported country, scarce stock, immediate
 * cancellations), each order under a coordination mode (lib/modes.ts: every mode in turn, seeded shuffle;
 * cancellations only for the modes that take them), and the customer's cancellation, shared by the load of
 * the scenarios "faults" and "cluster".
 */
import { ADDRESS, SKUS, type ScenarioContext } from '../scenarios/context';
import { NO_ANSWER, sleep } from './http';
import { assignModes, cancellable, type CoordinationMode } from './modes';
import type { Customer } from './orders-client';

export interface Planned {
  c: Customer;
  items: { sku: string; quantity: number }[];
  country: string;
  cancel: boolean;
  coordination: CoordinationMode;
}

/** the POST /orders body of a planned order */
export const orderBody = (p: Planned) => ({
  items: p.items,
  shippingAddress: { ...ADDRESS, country: p.country },
  coordination: p.coordination,
});

/** `n` orders of the mix (default: the run's `orders`), drawn from the run's seeded random. */
export function orderMix(ctx: ScenarioContext, n = ctx.opts.orders): Planned[] {
  const { random } = ctx;
  const { rich, poor } = ctx.people;
  const modes = assignModes(n, random);
  return Array.from({ length: n }, (_, i) => mixed(i, modes[i]!));

  function mixed(i: number, coordination: CoordinationMode): Planned {
    const o = draw(i);
    return { ...o, coordination, cancel: o.cancel && cancellable(coordination) };
  }

  function draw(i: number): Omit<Planned, 'coordination'> {
    const r = random();
    const c = rich[Math.floor(random() * rich.length)]!;
    const country = ['US', 'DE', 'JP', 'GB', 'CA'][i % 5]!;
    if (r < 0.05) return { c: poor, items: [{ sku: SKUS.b.sku, quantity: 1 }], country, cancel: false };
    if (r < 0.1) return { c, items: [{ sku: SKUS.a.sku, quantity: 1 }], country: 'BR', cancel: false };
    if (r < 0.15) return { c, items: [{ sku: SKUS.scarce.sku, quantity: 1 }], country, cancel: false };
    const items: { sku: string; quantity: number }[] = [
      { sku: SKUS.a.sku, quantity: 1 + Math.floor(random() * 3) },
    ];
    if (random() < 0.5) items.push({ sku: SKUS.b.sku, quantity: 1 + Math.floor(random() * 2) });
    return { c, items, country, cancel: r < 0.22 };
  }
}

/** the customer changes their mind right away; a 5xx, 404 or no answer is retried with the same key */
export async function cancelSoon(ctx: ScenarioContext, c: Customer, orderId: string): Promise<void> {
  const key = `chaos-cancel-${orderId}`;
  for (let a = 0; a < 6; a++) {
    const r = await ctx.api.request('POST', `/orders/${orderId}/cancel`, {
      token: c.token,
      body: { reason: 'chaos: changed my mind' },
      idempotencyKey: key,
    });
    ctx.rec.cancelStatuses[r.status] = (ctx.rec.cancelStatuses[r.status] ?? 0) + 1;
    if (r.status !== NO_ANSWER && r.status < 500 && r.status !== 404) return;
    await sleep(2000); // client backoff
  }
}
