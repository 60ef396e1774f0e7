/**
 * How an order's services are coordinated, and the vocabulary of the atomic-commit modes (two-phase and
 * three-phase commit over Postgres prepared transactions): the participants, the global transaction id
 * format, the coordinator's decisions. One source: the API's schema, the OpenAPI document and the workflows
 * derive from these lists.
 */

/**
 * Every coordination mode an order can run under; the first is the default:
 * - `orchestration`: one Temporal workflow per order calls each service's activities (src/workflows);
 * - `choreography`: no coordinator; each service reacts to the others' events on the bus
 *   (src/services/<service>/reactions.ts);
 * - `2pc`, `3pc`: an atomic commit over Postgres prepared transactions (src/coordination).
 */
export const COORDINATION_MODES = ['orchestration', 'choreography', '2pc', '3pc'] as const;
export type CoordinationMode = (typeof COORDINATION_MODES)[number];
export const DEFAULT_COORDINATION: CoordinationMode = COORDINATION_MODES[0];

/** the modes that commit atomically over prepared transactions */
export const ATOMIC_COMMIT_MODES = ['2pc', '3pc'] as const satisfies readonly CoordinationMode[];
export type AtomicCommitMode = (typeof ATOMIC_COMMIT_MODES)[number];
export const isAtomicCommitMode = (m: CoordinationMode): m is AtomicCommitMode =>
  (ATOMIC_COMMIT_MODES as readonly string[]).includes(m);

/** the services that vote (the carrier is an HTTP API and cannot hold a prepared transaction) */
export const PARTICIPANTS = ['orders', 'inventory', 'payments'] as const;
export type Participant = (typeof PARTICIPANTS)[number];

/** the coordinator's outcome of one order, recorded before phase 2 */
export const DECISIONS = ['commit', 'abort'] as const;
export type Decision = (typeof DECISIONS)[number];

/** a participant's 3PC state as it records it (prepared = voted yes; precommitted = told the outcome will be commit) */
export const THREE_PC_STATES = ['prepared', 'precommitted'] as const;
export type ThreePcState = (typeof THREE_PC_STATES)[number];

/**
 * The distributed transactions of one order: `apply` (reserve, charge, mark paid) and `reverse` (release,
 * refund, cancel or fail), which undoes a committed `apply` when shipping fails or the order is cancelled.
 */
export const TRANSACTION_KINDS = ['apply', 'reverse'] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** every global transaction id of this project starts with this (the recovery sweep's filter) */
export const GID_PREFIX = 'order-saga:';

/** the global transaction id of one participant's part: `order-saga:<orderId>:<kind>:<service>` */
export const gidOf = (orderId: string, kind: TransactionKind, participant: Participant): string =>
  `${GID_PREFIX}${orderId}:${kind}:${participant}`;

export interface GidParts {
  orderId: string;
  kind: TransactionKind;
  participant: Participant;
}

/** the parts of a gid of this project; undefined for any other gid */
export function parseGid(gid: string): GidParts | undefined {
  if (!gid.startsWith(GID_PREFIX)) return undefined;
  const parts = gid.slice(GID_PREFIX.length).split(':');
  const participant = parts.pop();
  const kind = parts.pop();
  const orderId = parts.join(':');
  if (!orderId || !(TRANSACTION_KINDS as readonly (string | undefined)[]).includes(kind)) return undefined;
  if (!(PARTICIPANTS as readonly (string | undefined)[]).includes(participant)) return undefined;
  return { orderId, kind: kind as TransactionKind, participant: participant as Participant };
}

/**
 * The coordination timings' defaults (the typed config's COORDINATION_* variables default to these):
 * - `recoveryIntervalMs`: how often each voting worker sweeps its prepared transactions;
 * - `presumeAbortAfterMs`: how long an undecided prepared transaction waits before the sweep presumes abort;
 * - `threePcTimeoutMs`: a 3PC participant's deadline after its yes vote and after its pre-commit;
 * - `prepareLockTimeoutMs`: how long a participant's prepare waits for a row lock (another order's prepared
 *   transaction holds it) before it gives up: an apply votes no (`LockTimeout`), a reverse is retried.
 *   Below the coordinators' 30 s attempt timeout, so a waiting session ends before its activity is retried.
 */
export const COORDINATION_DEFAULTS = {
  recoveryIntervalMs: 5_000,
  presumeAbortAfterMs: 10 * 60_000,
  threePcTimeoutMs: 30_000,
  prepareLockTimeoutMs: 10_000,
} as const;
