/**
 * What every scenario gets: the running stack and clients to it, the customers, the orders client, the
 * record it adds to, and `check(phase)`, which waits until the system is quiet and runs every invariant.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Stack } from '../../src/platform/stack';
import type { ApiClient } from '../lib/http';
import type { InvariantReport } from '../invariants';
import type { ChaosOptions } from '../lib/options';
import type { Customer, OrdersClient } from '../lib/orders-client';
import type { ClusterResult } from './cluster';
import type { PartitionResult } from './partition';

export const SKUS = {
  a: { sku: 'CHAOS-A', name: 'Chaos widget', price: 10_00, stock: 100_000 },
  b: { sku: 'CHAOS-B', name: 'Chaos gadget', price: 25_00, stock: 100_000 },
  scarce: { sku: 'CHAOS-SCARCE', name: 'Scarce thing', price: 5_00, stock: 4 },
  hot: { sku: 'CHAOS-HOT', name: 'Last units', price: 1_00, stock: 0 },
} as const;

export const ADDRESS = { name: 'Chaos Tester', line1: '1 Loop Rd', city: 'Localhost', postalCode: '12345' };

export interface BreakerCycle {
  /** transitions seen on the shipping worker's /metrics during the scenario */
  opened: number;
  halfOpened: number;
  closed: number;
  /** ms from the outage's start until the breaker was seen open (-1: never) */
  openAfterMs: number;
  /** ms from the carrier's recovery until the breaker was seen closed again (-1: never) */
  closedAfterMs: number;
}

export interface ContentionResult {
  /** the saga mode the burst's orders ran under */
  mode: string;
  orders: number;
  stock: number;
  accepted: number;
  completed: number;
  /** failed at reserveStock with InsufficientStock */
  outOfStock: number;
  /** the other ends, by `<status> at <step>: <reason's first words>` (none in a clean burst) */
  otherOutcomes?: Record<string, number>;
  secondsToSubmitAll: number;
}

export interface IdempotencyResult {
  concurrent: number;
  statuses: Record<string, number>;
  distinctOrders: number;
  mismatchStatus: number;
  workflows: number;
  orderStreams: number;
}

export interface HostileResult {
  requests: number;
  answered5xx: number;
  non4xx: number;
  writes: number;
}

export type PhaseReport = Omit<InvariantReport, 'details'> & { seconds: number };

/** What the scenarios record; the summary is built from it. */
export interface ChaosRecord {
  /** one line per injected fault: what, when it landed, when it was back */
  faults: string[];
  /** problems found outside the invariants (each is also a failure) */
  problems: string[];
  /** invariant details per phase */
  details: string[];
  injected: { workerKills: number; temporalRestarts: number; postgresRestarts: number };
  /** recoveries seen by their positive marker */
  recovered: { workers: number; temporal: number; postgres: number };
  /** faults injected while at least one saga was running */
  landedMidRun: number;
  /** the bus's faults (scenarios/bus-faults.ts): injected, and recovered by their positive markers */
  busFaults: {
    injected: { broker: number; consumers: number; relay: number };
    recovered: { broker: number; consumers: number; relay: number };
  };
  cancelStatuses: Record<string, number>;
  breaker?: BreakerCycle;
  /** one burst per saga mode */
  contention?: ContentionResult[];
  partition?: PartitionResult;
  idempotency?: IdempotencyResult;
  hostile?: HostileResult;
  cluster?: ClusterResult;
  phases: Record<string, PhaseReport>;
}

export interface ScenarioContext {
  opts: ChaosOptions;
  stack: Stack;
  api: ApiClient;
  temporal: Client;
  pool: Pool;
  /** an admin token */
  admin: string;
  people: { rich: Customer[]; poor: Customer; idem: Customer };
  customer(id: string): Promise<Customer>;
  orders: OrdersClient;
  random: () => number;
  urls: { carrier: string; shippingMetrics: string };
  /** the workers' THREE_PC_PARTITION_FILE (scenario "partition": the participant it names is cut off) */
  partitionFile: string;
  rec: ChaosRecord;
  say(msg: string): void;
  /** waits until no saga runs and the outboxes are drained, then checks every invariant */
  check(phase: string, startedAt: number): Promise<InvariantReport>;
}

export interface Scenario {
  name: string;
  enabled(opts: ChaosOptions): boolean;
  run(ctx: ScenarioContext): Promise<void>;
}
