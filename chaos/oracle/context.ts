/**
 * What every invariant checks against: the oracle's folds of one consistent snapshot of Postgres, the
 * read-model comparison, and what the suite observed outside Postgres (Temporal visibility, the API's
 * answers, the Idempotency-Keys it used).
 */
import type { Pool } from 'pg';
import type { BusRead } from './kafka-read';
import { foldMoney, type MoneyFacts } from './money-fold';
import { foldOrders, type OrderFacts } from './orders-fold';
import { actualTables, diffTables, expectedTables, type TableDiff } from './read-models';
import { foldShipments, type ShipmentFacts } from './shipments-fold';
import { readSnapshot, type Snapshot } from './snapshot';
import { foldStock, type StockFacts } from './stock-fold';

export interface OracleInput {
  /** workflow id → status name of every orderSaga (Temporal visibility) */
  workflows: Map<string, string>;
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
}

export function contextOf(snapshot: Snapshot, input: OracleInput): OracleContext {
  const orders = foldOrders(snapshot.streams.orders);
  return {
    input,
    submitted: new Set(input.submitted),
    snapshot,
    orders,
    money: foldMoney(snapshot.streams.payments),
    stock: foldStock(snapshot.streams.inventory),
    shipments: foldShipments(snapshot.streams.shipping),
    readModels: diffTables(expectedTables(orders), actualTables(snapshot.readModels)),
  };
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
}

/** A finding that grows with `add(n, why)`; details are capped so a broken run stays readable. */
export function tally(): Finding & { add: (n: number, why: string) => void } {
  const f: Finding = { count: 0, details: [] };
  return Object.assign(f, {
    add(n: number, why: string) {
      const k = Number.isNaN(n) ? 1 : n; // a figure that is not a number is a mismatch, never a pass
      if (k <= 0) return;
      f.count += k;
      if (f.details.length < 20) f.details.push(why);
    },
  });
}

export interface Invariant {
  readonly name: string;
  check(ctx: OracleContext): Finding;
}
