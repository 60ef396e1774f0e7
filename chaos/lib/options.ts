/** The chaos suite's two modes: `npm run chaos` (FULL) and `npm run chaos:short` / `npm test` (SHORT). */

export interface ChaosOptions {
  mode: 'full' | 'short';
  /** orders of the fault scenario */
  orders: number;
  /** concurrent single-unit orders for the last units of one SKU */
  contentionOrders: number;
  contentionStock: number;
  /** client concurrency of the contention scenario */
  contentionConcurrency: number;
  idempotencyConcurrency: number;
  /** orders submitted while the carrier is down (the breaker cycle) */
  carrierOrders: number;
  /**
   * Faults injected while the fault scenario's orders run, each once enough orders were accepted and while a
   * saga is running, each waited for until it has recovered: worker SIGKILLs (each service in turn), a
   * Temporal dev-server SIGKILL, a Postgres immediate restart. `carrier`: the breaker cycle scenario;
   * `carrierSlowAndFlaky` adds its slow and flaky stages.
   */
  faults: {
    workerKills: number;
    temporalRestart: boolean;
    postgresRestart: boolean;
    carrier: boolean;
    carrierSlowAndFlaky: boolean;
  };
  /** how long the fault scenario's submissions are spread over (load shape, not a wait) */
  loadSeconds: number;
  /** bound on waiting for every saga to finish, per phase */
  settleTimeoutMs: number;
  hostile: 'full' | 'small';
  seed: number;
  say: (msg: string) => void;
  /** where the stack's children's log lines go (a file), if anywhere */
  childLog?: string;
  /** called once the stack runs, with a function that stops it (signal handlers, the run's time cap) */
  onStack?: (stop: () => Promise<void>) => void;
}

export const FULL: Omit<ChaosOptions, 'say'> = {
  mode: 'full',
  orders: 300,
  contentionOrders: 1000,
  contentionStock: 10,
  contentionConcurrency: 100,
  idempotencyConcurrency: 50,
  carrierOrders: 40,
  faults: {
    workerKills: 16,
    temporalRestart: true,
    postgresRestart: true,
    carrier: true,
    carrierSlowAndFlaky: true,
  },
  loadSeconds: 70,
  settleTimeoutMs: 900_000,
  hostile: 'full',
  seed: 8,
};

export const SHORT: Omit<ChaosOptions, 'say'> = {
  mode: 'short',
  orders: 12,
  contentionOrders: 30,
  contentionStock: 3,
  contentionConcurrency: 30,
  idempotencyConcurrency: 10,
  carrierOrders: 6,
  faults: {
    workerKills: 1,
    temporalRestart: true,
    postgresRestart: true,
    carrier: true,
    carrierSlowAndFlaky: false,
  },
  loadSeconds: 6,
  settleTimeoutMs: 180_000,
  hostile: 'small',
  seed: 8,
};
