/**
 * The table on stdout: rates and latency quantiles per measurement, then the ratios, CPU and the knee, then
 * the counted costs per order and path.
 */
import type { LoadResult } from '../lib/load';
import type { Reportable } from './result';

type Row = [string, string, string, string, string];

function rowsOf(r: Reportable): Row[] {
  const rows: Row[] = [];
  const row = (name: string, l: LoadResult) =>
    rows.push([name, `${l.perSecond}/s`, `${l.p50Ms}`, `${l.p90Ms}`, `${l.p99Ms}`]);
  row('saga (gateway, closed loop)', r.saga.closedLoop);
  row('stubbed saga (closed loop)', r.stubbedSaga.closedLoop);
  row('bare Temporal (closed loop)', r.bareTemporal.closedLoop);
  for (const x of r.saga.openLoop.rungs) row(`saga open loop @${x.offeredPerSecond}/s`, x);
  for (const p of r.costGrowth.workersPerQueue.points) row(`saga, ${p.workersPerQueue} worker(s)/queue`, p);
  for (const l of r.eventStore.levels) {
    rows.push([
      `event store append, ${l.writers} writers`,
      `${l.appendsPerSecond}/s`,
      '',
      '',
      `${l.appendP99Ms}`,
    ]);
    rows.push([
      `plain INSERT, ${l.writers} writers`,
      `${l.plainInsertsPerSecond}/s`,
      '',
      '',
      `${l.plainP99Ms}`,
    ]);
    rows.push([`Emmett append, ${l.writers} writers`, `${l.emmettPerSecond}/s`, '', '', `${l.emmettP99Ms}`]);
    if (l.appendWithOutboxPerSecond !== null) {
      rows.push([
        `append + outbox row, ${l.writers} writers`,
        `${l.appendWithOutboxPerSecond}/s`,
        '',
        '',
        `${l.appendWithOutboxP99Ms}`,
      ]);
    }
  }
  const lag = r.projectionLag;
  rows.push(['projection lag (order_summary)', '', `${lag.p50Ms}`, `${lag.p90Ms}`, `${lag.p99Ms}`]);
  return [...rows, ...coordinationRows(r)];
}

type ModeFigures = Record<string, { closedLoop?: LoadResult; lockWaitMsPerOrder?: number }>;

/** the bus, modes and atomic sections, when they ran */
function coordinationRows(r: Reportable): Row[] {
  const rows: Row[] = [];
  const x = r as unknown as {
    bus?: {
      busEventsPerSecond: number;
      applyLagMs: { p50: number; p99: number };
      bareHopMs: { p50: number; p99: number };
    };
    withoutBus?: { withBus: LoadResult; withoutBus: LoadResult };
    modes?: ModeFigures;
    atomic?: Record<string, ModeFigures>;
  };
  if (x.bus) {
    const b = x.bus;
    rows.push([
      `bus commit → apply (saga load)`,
      `${b.busEventsPerSecond}/s`,
      `${b.applyLagMs.p50}`,
      '',
      `${b.applyLagMs.p99}`,
    ]);
    rows.push(['bare producer → consumer', '', `${b.bareHopMs.p50}`, '', `${b.bareHopMs.p99}`]);
  }
  const loop = (name: string, l: LoadResult | undefined) =>
    l && rows.push([name, `${l.perSecond}/s`, `${l.p50Ms}`, `${l.p90Ms}`, `${l.p99Ms}`]);
  loop('saga, the bus on (interleaved)', x.withoutBus?.withBus);
  loop('saga, BUS_ENABLED=false (second stack)', x.withoutBus?.withoutBus);
  for (const [mode, m] of Object.entries(x.modes ?? {})) loop(`${mode} (to terminal event)`, m.closedLoop);
  for (const [workload, modes] of Object.entries(x.atomic ?? {}))
    for (const [mode, m] of Object.entries(modes))
      loop(`${mode}, ${workload} SKUs (lock wait ${m.lockWaitMsPerOrder} ms/order)`, m.closedLoop);
  return rows;
}

function cpuLine(cpu: Reportable['cpuPerOrder']): string | undefined {
  if (typeof cpu !== 'object') return undefined;
  const c = cpu as Record<string, Record<string, number>>;
  const line = (k: string) =>
    `${k} ${c[k]!.total} (${Object.entries(c[k]!)
      .filter(([g, v]) => g !== 'total' && v >= 0.5)
      .map(([g, v]) => `${g} ${v}`)
      .join(', ')})`;
  return `CPU ms per order: ${['saga', 'stubbed', 'bare']
    .filter((k) => c[k])
    .map(line)
    .join(' · ')}`;
}

/** Counted costs per order and path: history, workflow and activity tasks, statements, WAL-writing commits. */
function printCosts(r: Reportable): void {
  const head = [
    'per order',
    'events',
    'WF tasks',
    'act. tasks',
    'local act.',
    'history B',
    'statements',
    'WAL commits',
  ];
  const rows = Object.entries(r.costs.paths).map(([name, p]) => [
    name,
    ...[p.historyEvents, p.workflowTasks, p.activityTasks, p.localActivities, p.historyBytes].map(String),
    p.pgStatements === null ? '?' : `${p.pgStatements} +${p.pgStatementsTimerShared}`,
    String(p.walCommits),
  ]);
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((x) => x[i]!.length)));
  console.log('');
  for (const x of all)
    console.log(x.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  const b = r.costs.budget;
  console.log(
    `happy order vs ${b.file}: ${b.withinBudget ? 'within' : 'OVER'} the budget of ${b.happyOrder.historyEvents} events / ` +
      `${b.happyOrder.workflowTasks} workflow tasks (target ${b.target.historyEvents} / ${b.target.workflowTasks}); ` +
      'statements: exact + timer-shared (relay fetches, elections)',
  );
}

export function printTable(r: Reportable): void {
  const head: Row = ['', 'rate', 'p50 ms', 'p90 ms', 'p99 ms'];
  const all = [head, ...rowsOf(r)];
  const w = [0, 1, 2, 3, 4].map((i) => Math.max(...all.map((x) => x[i]!.length)));
  console.log('');
  for (const x of all)
    console.log(x.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  console.log('');
  const q = r.ratios;
  const rounds = (x: typeof q.sagaOverheadRounds) => `rounds ${x.rounds.join(' / ')}`;
  console.log(
    `ratios (median of the interleaved rounds): sagaOverhead (saga ÷ bare) ${q.sagaOverhead} (${rounds(q.sagaOverheadRounds)}) · ` +
      `stubbed ÷ bare ${q.stubbedOverBare} (${rounds(q.stubbedOverBareRounds)}) · full ÷ stubbed ${q.fullOverStubbed} ` +
      `(${rounds(q.fullOverStubbedRounds)})`,
  );
  console.log(
    `event store: eventStoreEfficiency ${q.eventStoreEfficiency} · vsEmmett ${r.eventStore.levels
      .map((l) => `${l.writers}w ${l.vsEmmett}`)
      .join(' / ')} (min ${q.vsEmmett.min})`,
  );
  const cpu = cpuLine(r.cpuPerOrder);
  if (cpu) console.log(cpu);
  console.log(
    `knee of the open-loop ladder: ${r.saga.openLoop.kneePerSecond ?? 'below the lowest rung'}/s · bare cost ` +
      `${r.costGrowth.bare.msPerActivity} ms per added activity (r² ${r.costGrowth.bare.r2})`,
  );
  printCosts(r);
}
