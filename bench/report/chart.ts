/** latest.svg: the chart's panels (throughput bars, open-loop ladder, cost growth, event store) from a result. */
import type { Reportable } from './result';
import { renderSvg, type Panel } from './svg';

function throughputPanel(r: Reportable): Panel {
  return {
    kind: 'bars',
    title: 'Completions/s, closed loop (same run)',
    unit: 'workflows completed / s',
    bars: [
      { label: 'saga', value: r.saga.closedLoop.perSecond, color: '#e15759' },
      { label: 'stubbed', value: r.stubbedSaga.closedLoop.perSecond, color: '#f28e2b' },
      { label: 'bare', value: r.bareTemporal.closedLoop.perSecond, color: '#4e79a7' },
      ...r.costGrowth.workersPerQueue.points.map((p) => ({
        label: `saga ${p.workersPerQueue}w/q`,
        value: p.perSecond,
        color: '#b07aa1',
      })),
    ],
  };
}

function ladderPanel(r: Reportable): Panel {
  const ladder = r.saga.openLoop.rungs;
  return {
    kind: 'lines',
    title: 'Saga open-loop ladder: latency vs offered rate',
    xLabel: 'offered orders / s',
    yLabel: 'ms from intended start',
    series: [
      { name: 'p50', color: '#4e79a7', points: ladder.map((x) => [x.offeredPerSecond, x.p50Ms]) },
      { name: 'p99', color: '#e15759', points: ladder.map((x) => [x.offeredPerSecond, x.p99Ms]) },
      {
        name: 'completed/s ×100',
        color: '#59a14f',
        points: ladder.map((x) => [x.offeredPerSecond, x.perSecond * 100]),
      },
    ],
  };
}

function growthPanel(r: Reportable): Panel {
  const g = r.costGrowth.bare;
  const xs = g.points.map((p) => p.activities);
  return {
    kind: 'lines',
    title: `Bare cost growth: ${g.msPerActivity} ms per activity (r² ${g.r2})`,
    xLabel: 'activities',
    yLabel: 'p50 ms',
    series: [
      {
        name: 'measured p50',
        color: '#4e79a7',
        points: g.points.map((p) => [p.activities, p.p50Ms]),
        dotsOnly: true,
      },
      {
        name: 'fit',
        color: '#999',
        dashed: true,
        points: [Math.min(...xs), Math.max(...xs)].map((x) => [x, g.interceptMs + g.msPerActivity * x]),
      },
    ],
  };
}

function eventStorePanel(r: Reportable): Panel {
  const levels = r.eventStore.levels;
  return {
    kind: 'lines',
    title: 'Event store: appends/s vs plain INSERT/s and Emmett',
    xLabel: 'concurrent writers',
    yLabel: 'per second',
    series: [
      { name: 'append', color: '#e15759', points: levels.map((l) => [l.writers, l.appendsPerSecond]) },
      {
        name: 'plain INSERT',
        color: '#4e79a7',
        points: levels.map((l) => [l.writers, l.plainInsertsPerSecond]),
      },
      { name: 'Emmett', color: '#59a14f', points: levels.map((l) => [l.writers, l.emmettPerSecond]) },
    ],
  };
}

export function chartOf(r: Reportable, mode: string, at: string): string {
  const q = r.ratios;
  return renderSvg(
    `order-saga bench (${mode}) ${at}`,
    [throughputPanel(r), ladderPanel(r), growthPanel(r), eventStorePanel(r)],
    `saga/bare ${q.sagaOverhead} (median of ${q.sagaOverheadRounds.rounds.length} rounds, ${q.sagaOverheadRounds.min}–${q.sagaOverheadRounds.max}) · stubbed/bare ${q.stubbedOverBare} · full/stubbed ${q.fullOverStubbed} · event store/INSERT ${q.eventStoreEfficiency}, /Emmett ${q.vsEmmett.min} (min over writers)`,
  );
}
