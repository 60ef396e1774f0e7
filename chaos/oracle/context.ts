/**
 * What every invariant checks against: the oracle's folds of one consistent snapshot of Postgres, the
 * read-model comparison, and what the suite observed outside Postgres (Temporal visibility, the API's
 * answers, the Idempotency-Keys it used).
 */
import type { Pool } from 'pg';
import { foldAtomicity, type AtomicityFacts } from './atomicity';
import type { BusRead } from './kafka-read';
import { foldMoney, type MoneyFacts } from './money-fold';
import { modeOf } from './modes';
import { foldOrders, type OrderFacts } from './orders-fold';
import { actualTables, diffTables, expectedTables, type TableDiff } from './read-models';
import { foldShipments, type ShipmentFacts } from './shipments-fold';
import { readSnapshot, type Snapshot } from './snapshot';
import { foldStock, type StockFacts } from './stock-fold';

export interface OracleInput {
  /** workflow id → status name of every order's workflow: orderSaga, twoPhaseCommit, threePhaseCommit */
  workflows: Map<string, string>;
  /** workflow id → its type (Temporal visibility); absent: each is taken to be its order's mode's type */
  workflowTypes?: Map<string, string>;
  /** order id → the coordination mode its request asked for (oracle/modes.ts reads the records without it) */
  modes?: Map<string, string>;
  /** sagas parked in COMPENSATION_BLOCKED (Temporal visibility) */
  compensationBlocked?: number;
  /** order ids the API accepted (202) */
  submitted: Iterable<string>;
  /** Idempotency-Key (scope:key) → order ids seen in its responses */
  keys?: Map<string, Set<string>>;
  /** per SKU what the inventory service answered (GET /inventory/{sku}); undefined = no answer */
  serviceStock?: Map<string, { available: number; reserved: number } | undefined>;
  /** per customer what the payments service answered (GET /accounts/{id}); undefined = no answer */
  serviceBalances?: Map<string, number | undefined>;
  /** the event topics as an independent Kafka client read them (oracle/kafka-read.ts); absent = not read */
  bus?: BusRead;
}

export interface OracleContext {
  input: OracleInput;
  submitted: Set<string>;
  snapshot: Snapshot;
  orders: Map<string, OrderFacts>;
  money: MoneyFacts;
  stock: StockFacts;
  shipments: Map<string, ShipmentFacts>;
  /** per read-model table: rows that differ from the oracle's expectation */
  readModels: Record<string, TableDiff>;
  /**
   * 2PC/3PC orders whose participants disagree (oracle/atomicity.ts): counted by the summary as
   * threePcAtomicityViolations and left out of the per-order money checks, whose drift they are
   */
  atomicity: AtomicityFacts;
}

export function contextOf(snapshot: Snapshot, input: OracleInput): OracleContext {
  const orders = foldOrders(snapshot.streams.orders);
  const ctx: OracleContext = {
    input,
    submitted: new Set(input.submitted),
    snapshot,
    orders,
    money: foldMoney(snapshot.streams.payments),
    stock: foldStock(snapshot.streams.inventory),
    shipments: foldShipments(snapshot.streams.shipping),
    readModels: diffTables(expectedTables(orders), actualTables(snapshot.readModels)),
    atomicity: { violations: new Map() },
  };
  ctx.atomicity = foldAtomicity({
    orders,
    orderStreams: snapshot.streams.orders,
    money: ctx.money,
    stock: ctx.stock,
    modeOf: (id) => modeOf(ctx, id),
  });
  return ctx;
}

export async function buildContext(pool: Pool, input: OracleInput): Promise<OracleContext> {
  return contextOf(await readSnapshot(pool), input);
}

/** A check's result: the counter's value and what moved it. */
export interface Finding {
  count: number;
  details: string[];
  /** ids behind the count (stuck and unrecorded orders) */
  ids?: string[];
  /** the count split by source (projectionMismatches: per table) */
  breakdown?: Record<string, number>;
  /** the part of the count that is about one order, by order id (the rest is about a SKU, an account, …) */
  byOrder?: Map<string, number>;
}

/**
 * A finding that grows with `add(n, why, orderId?)` (naming the order when the count is about one, so the
 * summary can split it by coordination mode); details are capped so a broken run stays readable.
 */
export function tally(): Finding & { add: (n: number, why: string, orderId?: string) => void } {
  const f: Finding = { count: 0, details: [], byOrder: new Map() };
  return Object.assign(f, {
    add(n: number, why: string, orderId?: string) {
      const k = Number.isNaN(n) ? 1 : n; // a figure that is not a number is a mismatch, never a pass
      if (k <= 0) return;
      f.count += k;
      if (orderId !== undefined) f.byOrder!.set(orderId, (f.byOrder!.get(orderId) ?? 0) + k);
      if (f.details.length < 20) f.details.push(why);
    },
  });
}

export interface Invariant {
  readonly name: string;
  check(ctx: OracleContext): Finding;
}
