/**
 * The API's services, built from the real modules: the payments and inventory services as they are, the orders
 * read side (read models for orders and lists, the service for the audit trail), and the event store health.
 * Routes are typed against what this returns (ApiServices), so there is no second declaration to keep in step.
 */
import { inDoubtStatus } from '../coordination/recovery';
import type { Pool } from 'pg';
import { SERVICES, type ServiceName } from '../domain/ids';
import { checkBusHealth, type BusHealth } from '../bus/lag';
import { checkEventStoreHealth, type EventStoreHealth } from '../eventstore';
import {
  decodeCursor,
  getOrderSummary,
  InvalidCursorError,
  listOrders,
  ORDER_PROJECTION_HEALTH,
  ORDERS_SCHEMA,
  type ListOrdersQuery,
} from '../services/orders/read-models';
import { createInventoryService } from '../services/inventory';
import { createOrdersService } from '../services/orders';
import { createOrderChoreography } from '../services/orders/choreography';
import { stuckSummary } from '../services/orders/stuck';
import { getOrderTimeline } from '../services/orders/timeline';
import { createPaymentsService } from '../services/payments';

export { InvalidCursorError };

export interface HealthCheckResult {
  ok: boolean;
  [detail: string]: unknown;
}

/** A list query as the route parses it (absent filters may be present as undefined). */
type OrdersQuery = Pick<ListOrdersQuery, 'limit'> & {
  [K in Exclude<keyof ListOrdersQuery, 'limit'>]?: ListOrdersQuery[K] | undefined;
};

export type ApiServices = ReturnType<typeof createApiServices>;
/** One order as the read model (orders.order_summary) knows it, times as ISO strings. */
export type OrderRecord = NonNullable<Awaited<ReturnType<ApiServices['orders']['getOrder']>>>;

export interface ApiServicesDeps {
  pool: Pool;
  clock?: () => Date;
  /**
   * RELAY_LAG_LIMIT_S: the relay fails the health check when an undelivered outbox row is older than this,
   * a projection when an event past its checkpoint is
   */
  relayLagLimitS: number;
  /** the bus's brokers: /health reports whether they answer, the consumer groups' lag and dead letters */
  kafkaBrokers?: string[];
}

export function createApiServices(deps: ApiServicesDeps) {
  const { pool } = deps;
  const base = { pool, ...(deps.clock ? { clock: deps.clock } : {}) };
  const orders = createOrdersService(base);
  const choreography = createOrderChoreography(base);

  return {
    /** choreographed orders: no workflow; the orders service's saga stream answers */
    choreography: {
      start: (...a: Parameters<typeof choreography.start>) => choreography.start(...a),
      cancel: (...a: Parameters<typeof choreography.cancel>) => choreography.cancel(...a),
      getSaga: (orderId: string) => choreography.getSaga(orderId),
      /** choreographed orders past their deadline plus the grace: how many, the oldest's age */
      stuck: (graceMs: number) => stuckSummary(pool, graceMs),
    },
    orders: {
      async getOrder(orderId: string) {
        const s = await getOrderSummary(pool, orderId);
        if (!s) return undefined;
        return {
          orderId: s.orderId,
          customerId: s.customerId,
          status: s.status,
          sagaState: s.sagaState,
          items: s.items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPrice: i.unitPrice })),
          total: s.total,
          currency: 'USD' as const,
          shippingAddress: s.shippingAddress,
          failureReason: s.failureReason ?? undefined,
          createdAt: s.createdAt.toISOString(),
          updatedAt: s.updatedAt.toISOString(),
        };
      },
      /** newest first, keyset-paged; a cursor this API did not hand out throws InvalidCursorError */
      async listOrders(query: OrdersQuery) {
        if (query.cursor !== undefined) assertCursor(query.cursor);
        const page = await listOrders(pool, {
          limit: query.limit,
          ...(query.customerId !== undefined ? { customerId: query.customerId } : {}),
          ...(query.status !== undefined ? { status: query.status } : {}),
          ...(query.stuckGraceMs !== undefined ? { stuckGraceMs: query.stuckGraceMs } : {}),
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
      },
      getOrderEvents: (orderId: string) => orders.getOrderEvents(orderId),
      /** every service's events of the order, in causal order, as the bus delivered them (orders.timeline) */
      getOrderTimeline: async (orderId: string) =>
        (await getOrderTimeline(pool, orderId)).map((e) => ({ ...e, service: e.service as ServiceName })),
    },
    inventory: createInventoryService(base),
    payments: createPaymentsService(base),
    health: {
      /** event store round trip, outbox relay and read-model lag of every schema; the bus when configured */
      async check(opts: { stuckGraceMs: number }): Promise<Record<string, HealthCheckResult>> {
        const brokers = deps.kafkaBrokers;
        const [results, inDoubt, stuck, bus] = await Promise.all([
          Promise.all(
            SERVICES.map((schema) =>
              checkEventStoreHealth(pool, schema, schema === ORDERS_SCHEMA ? ORDER_PROJECTION_HEALTH : {}),
            ),
          ),
          inDoubtStatus(pool),
          stuckSummary(pool, opts.stuckGraceMs),
          brokers
            ? checkBusHealth(pool, brokers, 1000).catch((err: unknown): BusHealth => ({
                ok: false,
                brokers,
                error: String(err).slice(0, 200),
                deadLetters: {},
              }))
            : undefined,
        ]);
        return {
          ...summarise(results, deps.relayLagLimitS),
          // prepared transactions of 2PC/3PC orders not finished yet: reported, not failing (2PC blocks by design)
          inDoubtTransactions: { ok: true, ...inDoubt },
          // choreographed orders with no progress past their deadline plus the grace: reported, not failing
          // (one order whose undo was dead-lettered must not take the gateway out of service)
          choreography: {
            ok: true,
            stuck: stuck.count,
            oldestStuckAgeSeconds: stuck.oldestAgeSeconds,
            graceSeconds: opts.stuckGraceMs / 1000,
          },
          ...(bus && { bus: { ...bus } }),
        };
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
