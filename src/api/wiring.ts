/**
 * Builds the API's ports (./ports.ts) from the real modules: the payments, inventory and orders use-case
 * layer (src/services), the orders read models (src/services/orders/read-models) and the event store health
 * check (src/eventstore).
 */
import type { Pool } from 'pg';
import { checkEventStoreHealth, type EventStoreHealth } from '../eventstore';
import {
  decodeCursor,
  getOrderSummary,
  InvalidCursorError as StoreInvalidCursorError,
  listOrders,
  ORDER_PROJECTION_HEALTH,
  ORDERS_SCHEMA,
} from '../services/orders/read-models';
import { createInventoryService } from '../services/inventory';
import { createOrdersService } from '../services/orders';
import { createOrderChoreography } from '../services/orders/choreography';
import type { SagaStateName } from '../workflows/contracts';
import { getOrderTimeline } from '../services/orders/timeline';
import { createPaymentsService } from '../services/payments';
import { type ApiServices, type HealthCheckResult, InvalidCursorError, type TimelineRecord } from './ports';

const SCHEMAS = ['orders', 'inventory', 'payments', 'shipping'] as const;

export interface ApiServicesDeps {
  pool: Pool;
  clock?: () => Date;
  /**
   * RELAY_LAG_LIMIT_S: the relay fails the health check when an undelivered outbox row is older than this,
   * a projection when an event past its checkpoint is
   */
  relayLagLimitS: number;
}

export function createApiServices(deps: ApiServicesDeps): ApiServices {
  const { pool } = deps;
  const base = { pool, ...(deps.clock ? { clock: deps.clock } : {}) };
  const payments = createPaymentsService(base);
  const inventory = createInventoryService(base);
  const orders = createOrdersService(base);
  const choreography = createOrderChoreography(base);

  return {
    choreography: {
      start: (order, timings, ctx) => choreography.start(order, timings, ctx),
      cancel: async (orderId, reason, ctx) => ({
        status: (await choreography.cancel(orderId, reason, ctx)).status as SagaStateName,
      }),
      getSaga: (orderId) => choreography.getSaga(orderId),
    },
    orders: {
      async getOrder(orderId) {
        const s = await getOrderSummary(pool, orderId);
        if (!s) return undefined;
        return {
          orderId: s.orderId,
          customerId: s.customerId,
          status: s.status,
          sagaState: s.sagaState,
          items: s.items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPrice: i.unitPrice })),
          total: s.total,
          currency: 'USD',
          shippingAddress: s.shippingAddress,
          failureReason: s.failureReason ?? undefined,
          createdAt: s.createdAt.toISOString(),
          updatedAt: s.updatedAt.toISOString(),
        };
      },
      async listOrders(query) {
        try {
          if (query.cursor !== undefined) assertCursor(query.cursor);
          const page = await listOrders(pool, {
            limit: query.limit,
            ...(query.customerId !== undefined ? { customerId: query.customerId } : {}),
            ...(query.status !== undefined ? { status: query.status } : {}),
            ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
          });
          return {
            items: page.items.map((i) => ({
              orderId: i.orderId,
              customerId: i.customerId,
              status: i.status,
              sagaState: i.sagaState,
              total: i.total,
              currency: 'USD' as const,
              itemCount: i.itemCount,
              createdAt: i.createdAt.toISOString(),
              updatedAt: i.updatedAt.toISOString(),
            })),
            nextCursor: page.nextCursor,
          };
        } catch (err) {
          if (err instanceof StoreInvalidCursorError) throw new InvalidCursorError(err.message);
          throw err;
        }
      },
      getOrderEvents: (orderId) => orders.getOrderEvents(orderId),
      getOrderTimeline: async (orderId) =>
        (await getOrderTimeline(pool, orderId)).map((e) => ({
          ...e,
          service: e.service as TimelineRecord['service'],
        })),
    },
    inventory: {
      getItems: (skus) => inventory.getItems(skus),
      async upsertItem(input, ctx) {
        const r = await inventory.upsertItem(input, ctx);
        return { created: r.created, item: r.item };
      },
      restock: (input, ctx) => inventory.restock(input, ctx),
      getDemand: (sku) => inventory.getDemand(sku),
    },
    payments: {
      getAccount: (customerId, asOf) => payments.getAccount(customerId, asOf),
      getAccountEvents: (customerId) => payments.getAccountEvents(customerId),
      deposit: (input, ctx) => payments.deposit(input, ctx),
    },
    health: {
      async check() {
        const results = await Promise.all(
          SCHEMAS.map((schema) =>
            checkEventStoreHealth(pool, schema, schema === ORDERS_SCHEMA ? ORDER_PROJECTION_HEALTH : {}),
          ),
        );
        return summarise(results, deps.relayLagLimitS);
      },
    },
  };
}

const CURSOR_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;
const CURSOR_ORDER_ID = /^[0-9a-f-]{36}$/i;

/** Only cursors this API handed out (exact UTC time, order uuid) reach SQL; anything else is a 400. */
function assertCursor(cursor: string): void {
  const c = decodeCursor(cursor);
  if (!CURSOR_TIME.test(c.createdAt) || !CURSOR_ORDER_ID.test(c.orderId)) {
    throw new InvalidCursorError('invalid cursor');
  }
}

const tenths = (seconds: number) => Math.round(seconds * 10) / 10;

/**
 * eventStore: every schema's append + read-back. relay: every schema's oldest undelivered outbox row, failing
 * over the limit. projections: each read model's oldest event past its checkpoint (src/eventstore/health.ts),
 * failing over the same limit: its checkpoint is behind the log and has not moved for that long.
 */
function summarise(results: EventStoreHealth[], limitS: number): Record<string, HealthCheckResult> {
  const eventStore: HealthCheckResult = { ok: results.every((r) => r.ok) };
  const relay: HealthCheckResult = {
    ok: results.every((r) => r.relay.lagSeconds <= limitS),
    limitSeconds: limitS,
  };
  const projections: HealthCheckResult = {
    ok: results.every((r) => Object.values(r.projections).every((p) => p.lagSeconds <= limitS)),
    limitSeconds: limitS,
  };
  for (const r of results) {
    eventStore[r.schema] = {
      ok: r.ok,
      appendMs: r.appendMs,
      ...(r.error ? { error: r.error.slice(0, 200) } : {}),
    };
    relay[r.schema] = { undelivered: r.relay.undelivered, lagSeconds: tenths(r.relay.lagSeconds) };
    for (const [name, p] of Object.entries(r.projections)) {
      projections[name] = { streamsBehind: p.streamsBehind, lagSeconds: tenths(p.lagSeconds) };
    }
  }
  return { eventStore, relay, projections };
}
