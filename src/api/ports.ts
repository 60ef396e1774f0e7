/**
 * What the HTTP layer needs from the services, as narrow interfaces. `createApp` receives
 * implementations; `./wiring.ts` builds them from the real service modules (event store read models,
 * the inventory and payments services). Routes never touch another service's tables directly.
 */
import type { ChoreographyTimings } from '../domain/choreography';
import type { ChoreographedSaga } from '../services/orders/choreography';
import type { PlaceOrderInput } from '../services/orders';
import type { OrderStatus, SagaStateName, ShippingAddress } from '../workflows/contracts';

export interface CommandContext {
  /** X-Request-Id of the HTTP request: travels into event metadata */
  requestId: string;
  /** `<scope>:<Idempotency-Key>:<claim id>`: stable across retries of the same request; absent = none */
  idempotencyKey?: string;
  /** JWT sub of the caller */
  actor: string;
}

export interface OrderLineRecord {
  sku: string;
  quantity: number;
  /** cents */
  unitPrice: number;
}

/** One order as the read model (orders.order_summary) knows it. */
export interface OrderRecord {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  sagaState?: SagaStateName | undefined;
  items: OrderLineRecord[];
  total: number;
  currency: 'USD';
  shippingAddress?: ShippingAddress | undefined;
  failureReason?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface ListOrdersQuery {
  customerId?: string | undefined;
  status?: OrderStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** One row of an order list (orders.customer_orders / order_summary): no lines, their count. */
export interface OrderListRecord {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  sagaState: SagaStateName;
  total: number;
  currency: 'USD';
  itemCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface EventRecord {
  type: string;
  version: number;
  data: unknown;
  recordedAt: string;
}

export interface OrdersPort {
  getOrder(orderId: string): Promise<OrderRecord | undefined>;
  /** newest first, keyset-paged; an invalid cursor throws InvalidCursorError */
  listOrders(query: ListOrdersQuery): Promise<{ items: OrderListRecord[]; nextCursor: string | null }>;
  getOrderEvents(orderId: string): Promise<EventRecord[]>;
  /** every service's events of the order, in causal order, as the bus delivered them (orders.timeline) */
  getOrderTimeline(orderId: string): Promise<TimelineRecord[]>;
}

export interface TimelineRecord {
  service: 'orders' | 'inventory' | 'payments' | 'shipping';
  eventId: string;
  streamId: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  causationId?: string;
  requestId?: string;
  recordedAt: string;
}

/** Units of one SKU reserved, released and shipped, merged from the demand CRDT's slots. */
export interface SkuDemandRecord {
  sku: string;
  reserved: number;
  released: number;
  shipped: number;
  outstanding: number;
  slots: number;
}

export interface CatalogEntry {
  sku: string;
  name: string;
  /** cents */
  price: number;
  available: number;
  reserved: number;
}

export interface InventoryPort {
  /** entries for the SKUs that exist in the catalog; missing SKUs are simply absent */
  getItems(skus: string[]): Promise<Map<string, CatalogEntry>>;
  upsertItem(
    input: { sku: string; name: string; price: number },
    ctx: CommandContext,
  ): Promise<{ created: boolean; item: CatalogEntry }>;
  /** undefined when the SKU is not in the catalog */
  restock(input: { sku: string; quantity: number }, ctx: CommandContext): Promise<CatalogEntry | undefined>;
  /** the demand read model (zeros for a SKU with no demand yet) */
  getDemand(sku: string): Promise<SkuDemandRecord>;
}

export interface AccountRecord {
  customerId: string;
  /** cents */
  balance: number;
  currency: 'USD';
  /** stream version (0: no events yet) */
  version: number;
}

export interface PaymentsPort {
  getAccount(customerId: string, asOf?: Date): Promise<AccountRecord>;
  getAccountEvents(customerId: string): Promise<EventRecord[]>;
  deposit(
    input: { customerId: string; amount: number },
    ctx: CommandContext,
  ): Promise<Omit<AccountRecord, 'currency'>>;
}

export interface HealthCheckResult {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HealthPort {
  /** event store round trip and outbox relay (and anything else the services report) */
  check(): Promise<Record<string, HealthCheckResult>>;
}

/** The orders service's choreographed orders (src/services/orders/choreography.ts). */
export interface ChoreographyPort {
  start(order: PlaceOrderInput, timings: ChoreographyTimings, ctx: CommandContext): Promise<unknown>;
  /** InvalidTransition once the order can no longer be cancelled */
  cancel(orderId: string, reason: string, ctx: CommandContext): Promise<{ status: SagaStateName }>;
  getSaga(orderId: string): Promise<ChoreographedSaga | undefined>;
}

export interface ApiServices {
  orders: OrdersPort;
  choreography: ChoreographyPort;
  inventory: InventoryPort;
  payments: PaymentsPort;
  health: HealthPort;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}
