/** What every route receives: the app's dependencies, already assembled. */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { IdempotencyStore } from './idempotency';
import type { HttpMetrics } from './metrics';
import type { ApiServices } from './wiring';
import type { SagaGateway } from './sagas';

export interface ApiConfig {
  /** HS256 secret of bearer tokens */
  jwtSecret: string;
  /** passed to every saga (ORDER_CANCELLATION_WINDOW_MS) */
  cancellationWindowMs: number;
  /** 3PC orders: each participant's deadline (THREE_PC_TIMEOUT_MS); default the coordinator's own */
  threePcTimeoutMs?: number;
  /**
   * ORDER_SHIPMENT_BUDGET_MS: how long the shipment may retry the carrier, in every mode (ms); unset: the
   * orchestrated saga's default and DEFAULT_CHOREOGRAPHY_DEADLINES
   */
  shipmentBudgetMs?: number;
  /**
   * choreographed orders: CHOREOGRAPHY_STEP_DEADLINE_MS and CHOREOGRAPHY_STUCK_GRACE_MS (ms); default
   * DEFAULT_CHOREOGRAPHY_DEADLINES
   */
  choreography?: { stepDeadlineMs?: number; stuckGraceMs?: number };
  /** BUS_ENABLED (default true); false: choreography, the timeline and the demand answer 501 bus-disabled */
  busEnabled?: boolean;
  /** worker /metrics URLs gathered into GET /metrics */
  workerMetricsUrls: string[];
  /** deadline of one Temporal call (start, describe, update); default 5000 */
  temporalDeadlineMs?: number;
  /** deadline of a sagaState query; default 3000 */
  queryDeadlineMs?: number;
  /** deadline of each health check and each worker scrape; default 1500 */
  probeTimeoutMs?: number;
}

export interface AppDeps {
  /** Postgres pool of the gateway (gateway.idempotency_keys) */
  pool: Pool;
  temporal: Client;
  services: ApiServices;
  config: ApiConfig;
  logger: Logger;
  clock?: () => Date;
}

export interface AppContext {
  pool: Pool;
  temporal: Client;
  services: ApiServices;
  config: ApiConfig;
  logger: Logger;
  clock: () => Date;
  sagas: SagaGateway;
  idempotency: IdempotencyStore;
  metrics: HttpMetrics;
}
