/**
 * The services are used as they are by the activities and the API: their ports must accept them. This spec
 * fails to typecheck (npx tsc) when a signature drifts, and checks at run time that every port method exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OrdersPort as OrdersActivityPort } from '../activities/orders';
import type { InventoryPort as InventoryActivityPort } from '../activities/inventory';
import type { PaymentsPort as PaymentsActivityPort } from '../activities/payments';
import type { ShippingPort as ShippingActivityPort } from '../activities/shipping';
import type {
  InventoryPort as InventoryApiPort,
  PaymentsPort as PaymentsApiPort,
  OrdersPort,
} from '../api/ports';
import { createEventStore } from '../eventstore/store';
import { createPool } from '../db/pool';
import { createOrdersService } from './orders';
import { createInventoryService } from './inventory';
import { createPaymentsService } from './payments';
import { createShippingService } from './shipping';

describe('service signatures', () => {
  it('fit the activity and API ports', async () => {
    // a pool that never connects: nothing here queries
    const pool = createPool('postgres://nobody@127.0.0.1:1/none');
    try {
      const orders = createOrdersService({ pool, store: createEventStore({ pool, schema: 'orders' }) });
      const inventory = createInventoryService({ pool });
      const payments = createPaymentsService({ pool });
      const shipping = createShippingService({ pool, supportedCountries: ['US'] });
      const ports: {
        ordersActivities: OrdersActivityPort;
        ordersApi: Pick<OrdersPort, 'getOrderEvents'>;
        inventoryActivities: InventoryActivityPort;
        inventoryApi: InventoryApiPort;
        paymentsActivities: PaymentsActivityPort;
        paymentsApi: PaymentsApiPort;
        shippingActivities: ShippingActivityPort;
      } = {
        ordersActivities: orders,
        ordersApi: orders,
        inventoryActivities: inventory,
        inventoryApi: inventory,
        paymentsActivities: payments,
        paymentsApi: payments,
        shippingActivities: shipping,
      };
      for (const [name, port] of Object.entries(ports)) {
        for (const [fn, impl] of Object.entries(port)) assert.equal(typeof impl, 'function', `${name}.${fn}`);
      }
      assert.throws(() =>
        createOrdersService({ pool, store: createEventStore({ pool, schema: 'payments' }) }),
      );
    } finally {
      await pool.end();
    }
  });
});
