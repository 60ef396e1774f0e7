/**
 * The loss of a Temporal node: with orders in flight (each waiting on a durable timer in its cancellation
 * window, on some history shard of the ring), one node is SIGKILLed. The other node takes over its shards,
 * the workers and API instances reconnect through the frontend address to the live node, and every order,
 * those placed before and after the crash, completes once: stock shipped once, each customer charged once.
 * The node is then started again, rejoins the ring, and an order placed after that completes too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterStack } from './cluster-stack';

const PRICE = 10_00;
const BEFORE = 6;
const AFTER = 4;

export function failover(ctx: () => ClusterStack): void {
  describe('a Temporal node dies under orders', () => {
    it('SIGKILL of one node: every order in flight and placed after it completes once; the node rejoins', async () => {
      const { api, cluster } = ctx();
      const [victim, survivor] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
      const sku = await api.newItem(BEFORE + AFTER + 1, PRICE);
      const customers = await Promise.all(
        Array.from({ length: BEFORE + AFTER + 1 }, () => api.newCustomer(100_00)),
      );
      const errorsBefore = [...api.errors.values()].reduce((a, b) => a + b, 0);

      const inFlight = await Promise.all(
        customers.slice(0, BEFORE).map((c, i) => api.placeOrder(c, [{ sku, quantity: 1 }], { via: i })),
      );
      // every one of them is paid and waiting on its timer before the crash
      await Promise.all(inFlight.map((id) => api.waitFor(id, ['PAYMENT_COMPLETED'], { field: 'sagaState' })));
      const pid = victim.pid();
      assert.ok(pid, `${victim.name} is running`);
      await victim.crash();
      assert.equal(victim.pid(), undefined, `${victim.name} is down`);

      const after = await Promise.all(
        customers
          .slice(BEFORE, BEFORE + AFTER)
          .map((c, i) => api.placeOrder(c, [{ sku, quantity: 1 }], { via: i })),
      );
      const orders = await Promise.all(
        [...inFlight, ...after].map((id) => api.waitFor(id, ['COMPLETED', 'FAILED', 'CANCELLED'])),
      );
      assert.deepEqual(
        orders.map((o) => o.status),
        orders.map(() => 'COMPLETED'),
      );
      // the ring is the survivor alone: the dead node's membership expired
      await cluster.waitForRing([survivor]);

      await victim.start();
      await cluster.waitForRing();
      const last = await api.placeOrder(customers[BEFORE + AFTER]!, [{ sku, quantity: 1 }], { via: 1 });
      const lastOrder = await api.waitFor(last, ['COMPLETED', 'FAILED', 'CANCELLED']);
      assert.equal(lastOrder.status, 'COMPLETED');

      assert.deepEqual(await api.stock(sku), { available: 0, reserved: 0 }, 'each unit shipped once');
      const balances = await Promise.all(customers.map((c) => api.balance(c)));
      assert.deepEqual(
        balances,
        customers.map(() => 100_00 - PRICE),
        'each customer charged exactly once',
      );
      const errors = [...api.errors.values()].reduce((a, b) => a + b, 0) - errorsBefore;
      process.stderr.write(
        `[cluster] failover: ${BEFORE} orders in flight and ${AFTER} placed after SIGKILL of ${victim.name} ` +
          `completed; ${errors} API request(s) answered 5xx or nothing and were retried with their key\n`,
      );
    });
  });
}
