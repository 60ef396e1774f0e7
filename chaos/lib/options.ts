/** The chaos suite's two modes: `npm run chaos` (FULL) and `npm run chaos:short` / `npm test` (SHORT). */

export interface ChaosOptions {
  mode: 'full' | 'short';
  /**
   * the cluster profile (`--cluster`): two Temporal server nodes behind one frontend address, two workers per
   * task queue, two API instances; the scenario "cluster" (a node SIGKILLed and restarted, one worker of each
   * pair and one API instance SIGKILLed) replaces the dev-server faults and the carrier cycle
   */
  cluster?: boolean;
  /** orders of the fault scenario */
  orders: number;
  /** concurrent single-unit orders for the last units of one SKU */
  contentionOrders: number;
  contentionStock: number;
  /** client concurrency of the contention scenario */
  contentionConcurrency: number;
  idempotencyConcurrency: number;
  /** 3PC orders submitted while a participant is cut off (scenario "partition") */
  partitionOrders: number;
  /** orders submitted while the carrier is down (the breaker cycle) */
  carrierOrders: number;
  /**
   * Faults injected while the fault scenario's orders run, each once enough orders were accepted and while a
   * saga is running, each waited for until it has recovered: worker SIGKILLs (each service in turn), a
   * Temporal dev-server SIGKILL, a Postgres immediate restart. `carrier`: the breaker cycle scenario;
   * `carrierSlowAndFlaky` adds its slow and flaky stages. `bus`: the bus's faults (scenarios/bus-faults.ts),
   * a Kafka broker SIGKILL restarted on its storage, the consumers' workers SIGKILLed, a relay's SIGKILLed.
   */
  faults: {
    workerKills: number;
    bus: { brokerRestarts: number; consumerKills: number; relayKills: number };
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
  partitionOrders: 4,
  faults: {
    workerKills: 16,
    bus: { brokerRestarts: 2, consumerKills: 2, relayKills: 2 },
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
  partitionOrders: 2,
  faults: {
    workerKills: 1,
    bus: { brokerRestarts: 1, consumerKills: 1, relayKills: 1 },
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

/**
 * `--cluster` over either mode: the cluster scenario's load (`orders` spread over `loadSeconds`, continued
 * until its last fault has recovered) instead of the fault scenario's dev-server faults and the carrier cycle
 * (both aim at single processes the cluster profile runs in pairs); contention, idempotency and the hostile
 * battery at a size a two-node cluster on a shared 2-core machine settles in minutes.
 */
export function clusterOptions(base: Omit<ChaosOptions, 'say'>): Omit<ChaosOptions, 'say'> {
  const full = base.mode === 'full';
  return {
    ...base,
    cluster: true,
    orders: full ? 120 : 30,
    loadSeconds: full ? 60 : 20,
    contentionOrders: full ? 60 : 20,
    contentionStock: full ? 5 : 3,
    contentionConcurrency: full ? 30 : 20,
    idempotencyConcurrency: full ? 20 : 10,
    faults: {
      workerKills: 0,
      bus: { brokerRestarts: 0, consumerKills: 0, relayKills: 0 },
      temporalRestart: false,
      postgresRestart: false,
      carrier: false,
      carrierSlowAndFlaky: false,
    },
    hostile: 'small',
  };
}
