/**
 * The invariants, checked from Postgres (the event logs, outboxes, read models, idempotency keys) and from
 * Temporal (workflow visibility), never from logs. Every figure is recomputed here by folding the raw
 * events with SQL and plain arithmetic, independently of the services' own deciders.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { rebuildProjection } from '../src/eventstore/projections/rebuild';
import { ORDER_PROJECTIONS, ORDERS_SCHEMA } from '../src/services/orders/read-models';
import { ORDER_SAGA_WORKFLOW_TYPE } from '../src/workflows/contracts';

export const SCHEMAS = ['orders', 'inventory', 'payments', 'shipping'] as const;

interface Row {
  stream_id: string;
  version: number;
  event_type: string;
  data: Record<string, unknown>;
}

export interface OrderFold {
  orderId: string;
  customerId: string;
  total: number;
  lines: { sku: string; quantity: number }[];
  /** COMPLETED, FAILED, CANCELLED or the last non-terminal event type */
  status: string;
  terminalEvents: number;
}

/** The counters of an InvariantReport that a run may not raise: each counts a broken invariant. */
export const BROKEN_INVARIANT_COUNTERS = [
  'stuck',
  'unrecorded',
  'doubleCharges',
  'netChargeMismatches',
  'oversold',
  'negativeStock',
  'moneyDrift',
  'stockDrift',
  'reservationMismatches',
  'shipmentMismatches',
  'streamGaps',
  'undelivered',
  'projectionMismatches',
  'idempotencyViolations',
] as const satisfies readonly (keyof InvariantReport)[];

export interface InvariantReport {
  /** orders known to the check (submitted through the API and/or present in the orders log) */
  orders: number;
  terminal: number;
  stuck: number;
  stuckIds: string[];
  /** accepted orders whose workflow closed but that never reached the orders log (no stream at all) */
  unrecorded: number;
  unrecordedIds: string[];
  runningWorkflows: number;
  compensationBlocked: number;
  doubleCharges: number;
  netChargeMismatches: number;
  oversold: number;
  negativeStock: number;
  moneyDrift: number;
  stockDrift: number;
  reservationMismatches: number;
  shipmentMismatches: number;
  streamGaps: number;
  undelivered: number;
  projectionMismatches: number;
  projectionDetails: Record<string, number>;
  idempotencyViolations: number;
  details: string[];
}

const asNum = (x: unknown): number => (typeof x === 'number' ? x : Number(x));

async function loadEvents(pool: Pool, schema: string, prefix: string): Promise<Map<string, Row[]>> {
  const r = await pool.query<Row>(
    `SELECT stream_id, version, event_type, data FROM ${schema}.events
      WHERE stream_id LIKE $1 ORDER BY stream_id, version`,
    [`${prefix}%`],
  );
  const m = new Map<string, Row[]>();
  for (const row of r.rows) {
    const list = m.get(row.stream_id) ?? [];
    list.push(row);
    m.set(row.stream_id, list);
  }
  return m;
}

/** Streams whose versions are not exactly 1..n. */
export async function countStreamGaps(pool: Pool): Promise<{ gaps: number; details: string[] }> {
  let gaps = 0;
  const details: string[] = [];
  for (const s of SCHEMAS) {
    const r = await pool.query<{ stream_id: string; n: number; lo: number; hi: number }>(
      `SELECT stream_id, count(*)::int AS n, min(version)::int AS lo, max(version)::int AS hi
         FROM ${s}.events
        GROUP BY stream_id
       HAVING count(*) <> max(version) OR min(version) <> 1`,
    );
    gaps += r.rowCount ?? 0;
    for (const g of r.rows.slice(0, 5))
      details.push(`${s}.${g.stream_id}: ${g.n} events, versions ${g.lo}..${g.hi}`);
  }
  return { gaps, details };
}

export async function countUndelivered(pool: Pool): Promise<number> {
  let n = 0;
  for (const s of SCHEMAS) {
    const r = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${s}.outbox WHERE delivered_at IS NULL`,
    );
    n += r.rows[0]!.n;
  }
  return n;
}

/** Waits (bounded) for the relays to deliver every outbox row; returns what is still undelivered. */
export async function waitForOutboxDrained(pool: Pool, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countUndelivered(pool);
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Workflow status per workflow id of every orderSaga execution (latest run). */
export async function workflowStatuses(client: Client): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType="${ORDER_SAGA_WORKFLOW_TYPE}"` })) {
    if (!m.has(wf.workflowId)) m.set(wf.workflowId, wf.status.name);
  }
  return m;
}

export async function countCompensationBlocked(client: Client): Promise<number> {
  try {
    const r = await client.workflow.count(
      `WorkflowType="${ORDER_SAGA_WORKFLOW_TYPE}" AND ExecutionStatus="Running" AND OrderStatus="COMPENSATION_BLOCKED"`,
    );
    return r.count;
  } catch {
    return 0; // the search attribute missing: such sagas still count as stuck (Running)
  }
}

export async function countRunning(client: Client): Promise<number> {
  const r = await client.workflow.count(
    `WorkflowType="${ORDER_SAGA_WORKFLOW_TYPE}" AND ExecutionStatus="Running"`,
  );
  return r.count;
}

/** Waits (bounded) until no orderSaga is Running; returns how many still are. */
export async function waitForNoRunning(
  client: Client,
  timeoutMs: number,
  progress?: (running: number) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    let running: number;
    try {
      running = await countRunning(client);
    } catch {
      running = -1; // Temporal not answering (restarting): try again
    }
    if (running === 0) return 0;
    if (Date.now() > deadline) return running < 0 ? last : running;
    if (running !== last && running >= 0) progress?.(running);
    if (running >= 0) last = running;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function tableRows(pool: Pool, table: string): Promise<string[]> {
  const r = await pool.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM ${table} t`);
  return r.rows.map((x) => x.j).sort();
}

/**
 * Compares every read model with a rebuild from the log: the live tables are read, the projection is
 * rebuilt with the event store's own rebuildProjection, and the two row sets are compared (rows only on
 * one side count). Run only when the system is quiet (no saga running, outbox drained).
 */
export async function compareProjectionsWithRebuild(pool: Pool): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of ORDER_PROJECTIONS) {
    const live = new Map<string, string[]>();
    for (const t of p.tables) live.set(t, await tableRows(pool, t));
    await rebuildProjection(pool, ORDERS_SCHEMA, p);
    let diff = 0;
    for (const t of p.tables) {
      const before = live.get(t)!;
      const after = await tableRows(pool, t);
      const a = new Map<string, number>();
      for (const x of before) a.set(x, (a.get(x) ?? 0) + 1);
      for (const x of after) {
        const c = a.get(x) ?? 0;
        if (c > 0) a.set(x, c - 1);
        else diff += 1;
      }
      for (const c of a.values()) diff += c;
    }
    out[p.name] = diff;
  }
  return out;
}

export interface CheckOptions {
  /** workflow id → status name of every orderSaga (from Temporal visibility: workflowStatuses) */
  workflows: Map<string, string>;
  /** sagas parked in COMPENSATION_BLOCKED (countCompensationBlocked) */
  compensationBlocked?: number;
  /** order ids accepted by the API (202) during the run */
  submitted: Iterable<string>;
  /** Idempotency-Key (scope:key) → order ids seen in its responses */
  keys?: Map<string, Set<string>>;
  /** rebuild and compare the read models (only when quiet) */
  rebuild?: boolean;
  /** stock per SKU as the inventory service reports it (GET /inventory/{sku}), compared with the fold */
  serviceStock?: Map<string, { available: number; reserved: number }>;
  /** balances as the payments service reports them (GET /accounts/{id}) */
  serviceBalances?: Map<string, number>;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const TERMINAL_EVENT: Record<string, string> = {
  OrderCompleted: 'COMPLETED',
  OrderFailed: 'FAILED',
  OrderCancelled: 'CANCELLED',
};

export async function checkInvariants(pool: Pool, opts: CheckOptions): Promise<InvariantReport> {
  const details: string[] = [];
  const note = (msg: string) => {
    if (details.length < 60) details.push(msg);
  };

  // ---- orders log ------------------------------------------------------------------------------------
  const orderStreams = await loadEvents(pool, 'orders', 'order-');
  const orders = new Map<string, OrderFold>();
  for (const [streamId, events] of orderStreams) {
    const placed = events.find((e) => e.event_type === 'OrderPlaced');
    const orderId = streamId.slice('order-'.length);
    const d = (placed?.data ?? {}) as {
      customerId?: string;
      total?: number;
      lines?: { sku: string; quantity: number }[];
    };
    let status = events.at(-1)?.event_type ?? 'NONE';
    let terminalEvents = 0;
    for (const e of events) {
      const t = TERMINAL_EVENT[e.event_type];
      if (t) {
        terminalEvents += 1;
        status = t;
      }
    }
    orders.set(orderId, {
      orderId,
      customerId: d.customerId ?? '',
      total: asNum(d.total ?? 0),
      lines: (d.lines ?? []).map((l) => ({ sku: l.sku, quantity: asNum(l.quantity) })),
      status,
      terminalEvents,
    });
    if (terminalEvents > 1) note(`order ${orderId} has ${terminalEvents} terminal events`);
  }

  // ---- Temporal --------------------------------------------------------------------------------------
  const wfStatus = opts.workflows;
  const runningWorkflows = [...wfStatus.values()].filter((x) => x === 'RUNNING').length;
  const compensationBlocked = opts.compensationBlocked ?? 0;

  const all = new Set<string>([...opts.submitted, ...orders.keys()]);
  let terminal = 0;
  const stuckIds: string[] = [];
  const unrecordedIds: string[] = [];
  for (const id of all) {
    const wf = wfStatus.get(`order-${id}`);
    const o = orders.get(id);
    const closed = wf !== undefined && wf !== 'RUNNING';
    // terminal: the workflow closed and the order's own log ends in a terminal event
    if (closed && o && TERMINAL.has(o.status)) terminal += 1;
    else if (closed && !o) {
      unrecordedIds.push(id);
      note(`order ${id}: workflow ${wf} but no order stream (accepted with 202, absent from the log)`);
    } else {
      stuckIds.push(id);
      note(`order ${id}: workflow ${wf ?? 'missing'}, log status ${o?.status ?? 'no stream'}`);
    }
  }

  // ---- payments log ----------------------------------------------------------------------------------
  const accounts = await loadEvents(pool, 'payments', 'account-');
  const charges = new Map<
    string,
    { customerId: string; charged: number; refunded: number; nc: number; nr: number }
  >();
  let moneyDrift = 0;
  let doubleCharges = 0;
  const completedTotalByCustomer = new Map<string, number>();
  for (const o of orders.values()) {
    if (o.status === 'COMPLETED')
      completedTotalByCustomer.set(o.customerId, (completedTotalByCustomer.get(o.customerId) ?? 0) + o.total);
  }
  for (const [streamId, events] of accounts) {
    const customerId = streamId.slice('account-'.length);
    let balance = 0;
    let deposits = 0;
    let withdrawals = 0;
    let balanceAfterMismatch = 0;
    let negative = false;
    for (const e of events) {
      const amount = asNum(e.data.amount);
      switch (e.event_type) {
        case 'FundsDeposited':
          balance += amount;
          deposits += amount;
          break;
        case 'FundsWithdrawn':
          balance -= amount;
          withdrawals += amount;
          break;
        case 'AccountCharged':
        case 'AccountRefunded': {
          const orderId = String(e.data.orderId);
          const c = charges.get(orderId) ?? { customerId, charged: 0, refunded: 0, nc: 0, nr: 0 };
          if (e.event_type === 'AccountCharged') {
            balance -= amount;
            c.charged += amount;
            c.nc += 1;
          } else {
            balance += amount;
            c.refunded += amount;
            c.nr += 1;
          }
          charges.set(orderId, c);
          break;
        }
        default:
          note(`unknown account event ${e.event_type} on ${streamId}`);
      }
      if (e.data.balanceAfter !== undefined && asNum(e.data.balanceAfter) !== balance)
        balanceAfterMismatch += Math.abs(asNum(e.data.balanceAfter) - balance);
      if (balance < 0) negative = true;
    }
    // money conserved: deposits − withdrawals = balance + charges of completed orders
    const drift = Math.abs(
      deposits - withdrawals - balance - (completedTotalByCustomer.get(customerId) ?? 0),
    );
    const service = opts.serviceBalances?.get(customerId);
    const serviceDrift = service === undefined ? 0 : Math.abs(service - balance);
    if (drift || balanceAfterMismatch || serviceDrift || negative)
      note(
        `account ${customerId}: drift ${drift}, balanceAfter mismatch ${balanceAfterMismatch}, service drift ${serviceDrift}, negative ${negative}`,
      );
    moneyDrift += drift + balanceAfterMismatch + serviceDrift + (negative ? 1 : 0);
  }
  let netChargeMismatches = 0;
  for (const [orderId, c] of charges) {
    if (c.nc > 1 || c.nr > 1) {
      doubleCharges += 1;
      note(`order ${orderId}: charged ${c.nc} times, refunded ${c.nr} times`);
    }
    const o = orders.get(orderId);
    const net = c.charged - c.refunded;
    const want = o?.status === 'COMPLETED' ? o.total : 0;
    const wrongCustomer = o !== undefined && o.customerId !== c.customerId;
    if (net !== want || wrongCustomer || (o && net !== 0 && net !== o.total) || !o) {
      netChargeMismatches += 1;
      note(`order ${orderId} (${o?.status ?? 'unknown'}): net charge ${net}, expected ${want}`);
    }
  }
  for (const o of orders.values()) {
    if (o.status === 'COMPLETED' && o.total > 0 && !charges.has(o.orderId)) {
      netChargeMismatches += 1;
      note(`completed order ${o.orderId} was never charged`);
    }
  }

  // ---- inventory log ---------------------------------------------------------------------------------
  const items = await loadEvents(pool, 'inventory', 'item-');
  let oversold = 0;
  let negativeStock = 0;
  let stockDrift = 0;
  let reservationMismatches = 0;
  /** `${sku}|${orderId}` → { quantity, status } */
  const reservations = new Map<string, { quantity: number; status: string; moves: number }>();
  for (const [streamId, events] of items) {
    const sku = streamId.slice('item-'.length);
    let available = 0;
    let reserved = 0;
    let shipped = 0;
    let restocked = 0;
    let wentNegative = false;
    for (const e of events) {
      const q = asNum(e.data.quantity ?? 0);
      const key = `${sku}|${String(e.data.orderId)}`;
      const r = reservations.get(key);
      switch (e.event_type) {
        case 'ItemRestocked':
          restocked += q;
          available += q;
          break;
        case 'StockReserved':
          available -= q;
          reserved += q;
          if (r) {
            reservationMismatches += 1;
            note(`${key}: reserved twice`);
          }
          reservations.set(key, { quantity: q, status: 'reserved', moves: 0 });
          break;
        case 'StockReleased':
        case 'StockCommitted':
          reserved -= q;
          if (e.event_type === 'StockReleased') available += q;
          else shipped += q;
          if (!r || r.status !== 'reserved' || r.quantity !== q) {
            reservationMismatches += 1;
            note(`${key}: ${e.event_type} of ${q} but reservation is ${JSON.stringify(r)}`);
          }
          reservations.set(key, {
            quantity: q,
            status: e.event_type === 'StockReleased' ? 'released' : 'committed',
            moves: (r?.moves ?? 0) + 1,
          });
          break;
        default:
          break;
      }
      if (available < 0 || reserved < 0 || shipped < 0) wentNegative = true;
    }
    if (wentNegative) {
      negativeStock += 1;
      note(`item ${sku}: a stock bucket went negative`);
    }
    if (shipped + reserved > restocked) {
      oversold += shipped + reserved - restocked;
      note(`item ${sku}: ${shipped} shipped + ${reserved} reserved of ${restocked} restocked`);
    }
    stockDrift += Math.abs(restocked - available - reserved - shipped);
    const service = opts.serviceStock?.get(sku);
    if (service) {
      const d = Math.abs(service.available - available) + Math.abs(service.reserved - reserved);
      if (d) note(`item ${sku}: service says ${JSON.stringify(service)}, log says ${available}/${reserved}`);
      stockDrift += d;
    }
  }
  // cross-service: a completed order's lines are committed; a failed or cancelled order holds nothing
  for (const o of orders.values()) {
    if (!TERMINAL.has(o.status)) continue;
    for (const l of o.lines) {
      const r = reservations.get(`${l.sku}|${o.orderId}`);
      if (o.status === 'COMPLETED') {
        if (!r || r.status !== 'committed' || r.quantity !== l.quantity) {
          reservationMismatches += 1;
          stockDrift += l.quantity;
          note(`completed order ${o.orderId} ${l.sku}: reservation ${JSON.stringify(r)}`);
        }
      } else if (r && r.status !== 'released') {
        reservationMismatches += 1;
        stockDrift += r.quantity;
        note(`${o.status} order ${o.orderId} ${l.sku}: reservation ${JSON.stringify(r)}`);
      }
    }
  }

  // ---- shipping log ----------------------------------------------------------------------------------
  let shipmentMismatches = 0;
  const shipments = await loadEvents(pool, 'shipping', 'shipment-');
  for (const o of orders.values()) {
    if (!TERMINAL.has(o.status)) continue;
    const ev = shipments.get(`shipment-${o.orderId}`) ?? [];
    const created = ev.some((e) => e.event_type === 'ShipmentCreated');
    const cancelled = ev.some((e) => e.event_type === 'ShipmentCancelled');
    const ok = o.status === 'COMPLETED' ? created && !cancelled : !created || cancelled;
    if (!ok) {
      shipmentMismatches += 1;
      note(
        `${o.status} order ${o.orderId}: shipment events ${ev.map((e) => e.event_type).join(',') || 'none'}`,
      );
    }
  }

  // ---- logs, outbox, read models ---------------------------------------------------------------------
  const g = await countStreamGaps(pool);
  g.details.forEach(note);
  const undelivered = await countUndelivered(pool);
  const projectionDetails: Record<string, number> = {};
  // order_summary must agree with the log on each order's terminal status
  const summaries = await pool.query<{ order_id: string; status: string }>(
    'SELECT order_id, status FROM orders.order_summary',
  );
  const summaryStatus = new Map(summaries.rows.map((r) => [r.order_id, r.status]));
  let statusMismatch = 0;
  for (const o of orders.values()) {
    if (!TERMINAL.has(o.status)) continue;
    if (summaryStatus.get(o.orderId) !== o.status) {
      statusMismatch += 1;
      note(
        `order_summary ${o.orderId}: ${summaryStatus.get(o.orderId) ?? 'missing'} but log says ${o.status}`,
      );
    }
  }
  projectionDetails.order_summary_vs_log = statusMismatch;
  if (opts.rebuild) {
    try {
      Object.assign(projectionDetails, await compareProjectionsWithRebuild(pool));
    } catch (err) {
      projectionDetails.rebuild_failed = 1;
      note(`projection rebuild failed: ${String(err)}`);
    }
  }
  const projectionMismatches = Object.values(projectionDetails).reduce((a, b) => a + b, 0);

  // ---- idempotency keys ------------------------------------------------------------------------------
  let idempotencyViolations = 0;
  for (const [key, ids] of opts.keys ?? []) {
    if (ids.size > 1) {
      idempotencyViolations += 1;
      note(`Idempotency-Key ${key}: ${ids.size} different orders`);
    }
  }
  // a key names at most one resource, and that resource has at most one workflow and one stream
  const dupResources = await pool.query<{ resource_id: string; n: number }>(
    `SELECT resource_id, count(*)::int AS n FROM gateway.idempotency_keys
      WHERE resource_id IS NOT NULL AND path = '/orders' GROUP BY resource_id HAVING count(*) > 1`,
  );
  idempotencyViolations += dupResources.rowCount ?? 0;
  for (const r of dupResources.rows) note(`order ${r.resource_id} is named by ${r.n} Idempotency-Keys`);
  // every answered POST /orders key has exactly its workflow, and no saga exists without a key
  const answered = await pool.query<{ resource_id: string }>(
    `SELECT resource_id FROM gateway.idempotency_keys
      WHERE method = 'POST' AND path = '/orders' AND state = 'completed' AND response_status = 202`,
  );
  const keyed = new Set(answered.rows.map((r) => `order-${r.resource_id}`));
  for (const id of keyed) {
    if (!wfStatus.has(id)) {
      idempotencyViolations += 1;
      note(`Idempotency-Key answered 202 for ${id} but there is no such workflow`);
    }
  }
  for (const id of wfStatus.keys()) {
    if (!keyed.has(id)) {
      idempotencyViolations += 1;
      note(`workflow ${id} has no answered Idempotency-Key`);
    }
  }

  return {
    orders: all.size,
    terminal,
    stuck: stuckIds.length,
    stuckIds: stuckIds.slice(0, 20),
    unrecorded: unrecordedIds.length,
    unrecordedIds: unrecordedIds.slice(0, 20),
    runningWorkflows,
    compensationBlocked,
    doubleCharges,
    netChargeMismatches,
    oversold,
    negativeStock,
    moneyDrift,
    stockDrift,
    reservationMismatches,
    shipmentMismatches,
    streamGaps: g.gaps,
    undelivered,
    projectionMismatches,
    projectionDetails,
    idempotencyViolations,
    details,
  };
}

/** Row counts of every table a write would add to, and the number of workflows (hostile: nothing written). */
export async function writeFootprint(pool: Pool, temporal: Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of SCHEMAS) {
    for (const t of ['events', 'outbox', 'snapshots']) {
      const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.${t}`);
      out[`${s}.${t}`] = r.rows[0]!.n;
    }
  }
  const k = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM gateway.idempotency_keys');
  out['gateway.idempotency_keys'] = k.rows[0]!.n;
  out.workflows = (await temporal.workflow.count('')).count;
  return out;
}
