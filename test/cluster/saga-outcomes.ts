/**
 * The saga's outcomes end to end on the cluster profile, through the API: the happy path, each business
 * failure the API lets through (no stock, no money, a country the carrier does not serve), a cancellation in
 * the cancellation window, and contention for the last units of an item from both API instances at once.
 * Each test has its own item and customers, so they run side by side.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CustomerIdKey, OrderStatusKey } from '../../src/workflows/search-attributes';
import { orderWorkflowId, type OrderSagaResult } from '../../src/workflows/contracts';
import type { ClusterStack } from './cluster-stack';

const PRICE = 10_00;
const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Waits for the order to end at the API, then for its workflow's result (the saga's own word on why). */
async function outcome(
  c: ClusterStack,
  orderId: string,
): Promise<{ order: Record<string, unknown>; result: OrderSagaResult }> {
  const order = await c.api.waitFor(orderId, TERMINAL);
  const result = (await c.client.workflow.getHandle(orderWorkflowId(orderId)).result()) as OrderSagaResult;
  return { order, result };
}

export function sagaOutcomes(ctx: () => ClusterStack): void {
  describe('the saga through the API on the cluster', { concurrency: true }, () => {
    it('happy path: the order completes, the stock leaves and the customer pays once', async () => {
      const { api, client } = ctx();
      const sku = await api.newItem(5, PRICE);
      const customer = await api.newCustomer(100_00);
      const orderId = await api.placeOrder(customer, [{ sku, quantity: 2 }], { via: 1 });

      const { order, result } = await outcome(ctx(), orderId);
      assert.equal(order.status, 'COMPLETED', JSON.stringify(order));
      assert.equal(result.status, 'COMPLETED');
      assert.match(result.trackingNumber ?? '', /^TRK-/);
      assert.deepEqual(await api.stock(sku), { available: 3, reserved: 0 });
      assert.equal(await api.balance(customer), 100_00 - 2 * PRICE);
      // the search attributes live in the cluster's visibility store (Postgres), not in a dev server
      const handle = client.workflow.getHandle(orderWorkflowId(orderId));
      const described = await handle.describe();
      assert.equal(described.typedSearchAttributes.get(OrderStatusKey), 'COMPLETED');
      assert.equal(described.typedSearchAttributes.get(CustomerIdKey), customer);
    });

    it('when stock runs out, nothing is charged and the order fails with InsufficientStock', async () => {
      const { api } = ctx();
      const sku = await api.newItem(1, PRICE);
      const customer = await api.newCustomer(100_00);
      const orderId = await api.placeOrder(customer, [{ sku, quantity: 2 }]);

      const { order, result } = await outcome(ctx(), orderId);
      assert.equal(order.status, 'FAILED');
      assert.equal(result.failure?.type, 'InsufficientStock');
      assert.deepEqual(await api.stock(sku), { available: 1, reserved: 0 });
      assert.equal(await api.balance(customer), 100_00);
    });

    it('when the customer cannot pay, the reserved stock is released and the order fails', async () => {
      const { api } = ctx();
      const sku = await api.newItem(5, PRICE);
      const customer = await api.newCustomer(PRICE / 2);
      const orderId = await api.placeOrder(customer, [{ sku, quantity: 1 }], { via: 1 });

      const { order, result } = await outcome(ctx(), orderId);
      assert.equal(order.status, 'FAILED');
      assert.equal(result.failure?.type, 'InsufficientFunds');
      assert.deepEqual(await api.stock(sku), { available: 5, reserved: 0 });
      assert.equal(await api.balance(customer), PRICE / 2);
    });

    it('when the carrier does not ship to the country, nothing is reserved or charged', async () => {
      const { api } = ctx();
      const sku = await api.newItem(5, PRICE);
      const customer = await api.newCustomer(100_00);
      const orderId = await api.placeOrder(customer, [{ sku, quantity: 1 }], { country: 'BR' });

      const { order, result } = await outcome(ctx(), orderId);
      assert.equal(order.status, 'FAILED');
      assert.equal(result.failure?.type, 'UnsupportedCountry');
      assert.deepEqual(await api.stock(sku), { available: 5, reserved: 0 });
      assert.equal(await api.balance(customer), 100_00);
    });

    it('a cancel after payment, in the cancellation window, refunds and releases the stock', async () => {
      const { api } = ctx();
      const sku = await api.newItem(5, PRICE);
      const customer = await api.newCustomer(100_00);
      const orderId = await api.placeOrder(customer, [{ sku, quantity: 1 }]);

      await api.waitFor(orderId, ['PAYMENT_COMPLETED'], { field: 'sagaState' });
      assert.equal(await api.balance(customer), 100_00 - PRICE, 'charged before the cancel');
      const cancel = await api.cancel(orderId, 1);
      assert.equal(cancel.status, 202, JSON.stringify(cancel.body));

      const { order, result } = await outcome(ctx(), orderId);
      assert.equal(order.status, 'CANCELLED');
      assert.equal(result.status, 'CANCELLED');
      assert.deepEqual(await api.stock(sku), { available: 5, reserved: 0 });
      assert.equal(await api.balance(customer), 100_00);
    });

    it('six customers race for three units on both API instances: three complete, three fail, none oversold', async () => {
      const { api } = ctx();
      const sku = await api.newItem(3, PRICE);
      const customers = await Promise.all(Array.from({ length: 6 }, () => api.newCustomer(100_00)));
      const orderIds = await Promise.all(
        customers.map((c, i) => api.placeOrder(c, [{ sku, quantity: 1 }], { via: i })),
      );

      const outcomes = await Promise.all(orderIds.map((id) => outcome(ctx(), id)));
      const orders = outcomes.map((o) => o.order);
      const completed = orders.filter((o) => o.status === 'COMPLETED');
      const failed = outcomes.filter((o) => o.order.status === 'FAILED');
      assert.equal(completed.length, 3, JSON.stringify(orders.map((o) => o.status)));
      assert.equal(failed.length, 3);
      for (const o of failed) assert.equal(o.result.failure?.type, 'InsufficientStock');
      assert.deepEqual(await api.stock(sku), { available: 0, reserved: 0 });
      const balances = await Promise.all(orders.map((o) => api.balance(String(o.customerId))));
      orders.forEach((o, i) =>
        assert.equal(balances[i], o.status === 'COMPLETED' ? 100_00 - PRICE : 100_00, String(o.orderId)),
      );
    });
  });
}
