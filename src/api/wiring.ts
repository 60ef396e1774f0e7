/**
 * Builds the API's ports (./ports.ts) from the real services: the payments and inventory use-case layer
 * (src/services), the orders read models (orders.order_summary) and the event store health.
 */
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { createInventoryService } from '../services/inventory';
import { createOrdersService } from '../services/orders';
import { createPaymentsService } from '../services/payments';
import type { ApiServices, HealthCheckResult } from './ports';
import { orderReadModel } from './read-models';

const SCHEMAS = ['orders', 'inventory', 'payments', 'shipping'] as const;
/** the relay is considered stuck when an undelivered outbox row is older than this */
const RELAY_LAG_LIMIT_S = 60;

export function createApiServices(deps: { pool: Pool; logger?: Logger; clock?: () => Date }): ApiServices {
  const { pool } = deps;
  const base = { pool, ...(deps.clock ? { clock: deps.clock } : {}) };
  const payments = createPaymentsService(base);
  const inventory = createInventoryService(base);
  const orders = createOrdersService(base);
  const readModel = orderReadModel(pool);

  return {
    orders: {
      getOrder: (orderId) => readModel.getOrder(orderId),
      listOrders: (query) => readModel.listOrders(query),
      getOrderEvents: (orderId) => orders.getOrderEvents(orderId),
    },
    inventory: {
      getItems: (skus) => inventory.getItems(skus),
      async upsertItem(input, ctx) {
        const r = await inventory.upsertItem(input, ctx);
        return { created: r.created, item: r.item };
      },
      restock: (input, ctx) => inventory.restock(input, ctx),
    },
    payments: {
      getAccount: (customerId, asOf) => payments.getAccount(customerId, asOf),
      getAccountEvents: (customerId) => payments.getAccountEvents(customerId),
      deposit: (input, ctx) => payments.deposit(input, ctx),
    },
    health: {
      async check() {
        const eventStore = await eventStoreRoundTrip(pool);
        const lag = await relayLag(pool);
        const relay: HealthCheckResult = {
          ok: lag.oldestUndeliveredSeconds < RELAY_LAG_LIMIT_S,
          ...lag,
        };
        return { eventStore, relay };
      },
    },
  };
}

/** Reads every service's event store tables (a cheap round trip proving they are there and readable). */
async function eventStoreRoundTrip(pool: Pool): Promise<HealthCheckResult> {
  const parts = SCHEMAS.map((s) => `(SELECT count(*) FROM (SELECT 1 FROM ${s}.streams LIMIT 1) x)`);
  await pool.query(`SELECT ${parts.join(' + ')} AS n`);
  return { ok: true };
}

async function relayLag(pool: Pool): Promise<{ oldestUndeliveredSeconds: number; undelivered: number }> {
  const parts = SCHEMAS.map((s) => `SELECT created_at FROM ${s}.outbox WHERE delivered_at IS NULL`);
  const r = await pool.query<{ age: number | null; n: number }>(
    `SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age, count(*)::int AS n
       FROM (${parts.join(' UNION ALL ')}) u`,
  );
  const row = r.rows[0];
  return { oldestUndeliveredSeconds: Math.max(0, row?.age ?? 0), undelivered: row?.n ?? 0 };
}
