/**
 * The chaos suite's own logic, without a stack: reading the breaker from a real metrics exposition, the
 * fault plans of both modes, and the run's verdict (failuresOf) on a clean and on broken summaries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMeteredCarrierClient } from '../src/workers/service-worker';
import { createMetricsRegistry, createSagaMetrics } from '../src/metrics/saga-metrics';
import { parseBreaker } from './lib/breaker';
import { COUNTERS, type Counter } from './invariants';
import { FULL, SHORT } from './lib/options';
import { faultPlan } from './scenarios/inject';
import { recoveryAt, type ProgressEvent } from './lib/progress';
import type { ClusterResult } from './scenarios/cluster';
import { failuresOf, type ChaosSummary } from './report/summary';
import { MODES } from './oracle/modes';

describe('chaos suite logic (no stack)', () => {
  it("reads the carrier breaker from the shipping worker's real metrics exposition", async () => {
    const registry = createMetricsRegistry({ service: 'worker-shipping' });
    const metrics = createSagaMetrics(registry);
    assert.equal(
      parseBreaker(await registry.metrics()),
      undefined,
      'no gauge before a carrier client exists',
    );
    // a carrier that refuses connections: two failures (the threshold here) open the breaker
    const carrier = createMeteredCarrierClient(
      { carrier: { url: 'http://127.0.0.1:9', port: 9, failureRate: 0, latencyMs: 0, timeoutMs: 500 } },
      metrics,
      { failureThreshold: 2, halfOpenAfterMs: 50 },
    );
    assert.deepEqual(parseBreaker(await registry.metrics()), { state: 0, open: 0, halfOpen: 0, closed: 0 });
    const book = () =>
      carrier
        .book({ key: 'k', orderId: 'o', country: 'US', postalCode: '1', parcels: 1 })
        .catch(() => undefined);
    await book();
    await book();
    assert.deepEqual(parseBreaker(await registry.metrics()), { state: 1, open: 1, halfOpen: 0, closed: 0 });
    await new Promise((r) => setTimeout(r, 80));
    await book(); // the half-open trial fails: open again
    assert.deepEqual(parseBreaker(await registry.metrics()), { state: 1, open: 2, halfOpen: 1, closed: 0 });
  });

  it('the short plan is one worker kill, one Temporal restart, one Postgres restart and one of each bus fault; the full plan 16 + 1 + 1 + 2 × 3', () => {
    assert.deepEqual(faultPlan(SHORT.faults), [
      { kind: 'worker', service: 'payments' },
      { kind: 'temporal' },
      { kind: 'broker' },
      { kind: 'postgres' },
      { kind: 'consumers' },
      { kind: 'relay', service: 'payments' },
    ]);
    const full = faultPlan(FULL.faults);
    assert.equal(full.length, 24);
    for (const kind of ['broker', 'consumers', 'relay'] as const)
      assert.equal(full.filter((f) => f.kind === kind).length, 2, kind);
    assert.equal(full.filter((f) => f.kind === 'temporal').length, 1);
    assert.equal(full.filter((f) => f.kind === 'postgres').length, 1);
    assert.ok(full.findIndex((f) => f.kind === 'temporal') < full.findIndex((f) => f.kind === 'postgres'));
  });

  const zeros = () => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  const burst = (mode: string) => ({
    mode,
    orders: 30,
    stock: 3,
    accepted: 30,
    completed: 3,
    outOfStock: 27,
    secondsToSubmitAll: 1,
  });
  const clean = (): ChaosSummary => ({
    ...zeros(),
    ok: true,
    mode: 'short',
    failures: [],
    ordersSubmitted: 49,
    submissions: 49,
    terminal: 49,
    compensationBlocked: 0,
    completed: 17,
    failed: 31,
    cancelled: 1,
    hostileRequests: 130,
    hostile5xx: 0,
    hostileNon4xx: 0,
    hostileWrites: 0,
    killsInjected: 1,
    temporalRestarts: 1,
    postgresRestarts: 1,
    recovered: { workers: 1, temporal: 1, postgres: 1 },
    faultsLandedMidRun: 6,
    restarts: 2,
    restartsByProcess: {},
    faults: [],
    problems: [],
    submitRetries: 0,
    submitGaveUp: 0,
    ordersWithApiError: 0,
    apiErrorStatuses: {},
    cancelStatuses: {},
    breaker: { opened: 1, halfOpened: 1, closed: 1, openAfterMs: 3000, closedAfterMs: 8000 },
    contention: [burst('orchestration'), burst('choreography')],
    perMode: Object.fromEntries(
      MODES.map((m) => [m, { ...zeros(), orders: 12, terminal: 12 }]),
    ) as ChaosSummary['perMode'],
    shared: zeros(),
    threePcAtomicityViolations: 2,
    threePcAtomicity: { partitionScenario: 2, elsewhere: 0, elsewhereIds: [] },
    inDoubtLeft: 0,
    partition: {
      participant: 'payments',
      orders: ['p1', 'p2'],
      committedByTimeout: 2,
      violations: 2,
      violationsElsewhere: 0,
      seconds: 60,
    },
    idempotency: {
      concurrent: 10,
      statuses: {},
      distinctOrders: 1,
      mismatchStatus: 422,
      workflows: 1,
      orderStreams: 1,
    },
    bus: {
      faults: {
        injected: { broker: 1, consumers: 1, relay: 1 },
        recovered: { broker: 1, consumers: 1, relay: 1 },
      },
      independentRead: { events: 120, duplicates: 0, outOfOrder: 0, missing: 0 },
    },
    cluster: null,
    phases: {},
    details: [],
    seconds: 90,
    startedAt: '',
  });

  it('a clean short summary has no failure; each broken part is named', () => {
    assert.deepEqual(failuresOf(clean(), SHORT), []);
    const broken: [string, (s: ChaosSummary) => void][] = [
      ['unknownEvents = 2', (s) => (s.unknownEvents = 2)],
      ['submitGaveUp = 1', (s) => (s.submitGaveUp = 1)],
      ['orders: 48 accepted of 49 submitted', (s) => (s.ordersSubmitted = 48)],
      [
        'contention (choreography): 2 completed for 3 units',
        (s) => (s.contention![1] = { ...burst('choreography'), completed: 2, outOfStock: 28 }),
      ],
      ['contention: no burst in choreography', (s) => s.contention!.pop()],
      ['inDoubtLeft = 1', (s) => (s.inDoubtLeft = 1)],
      [
        'threePcAtomicityViolations outside the partition scenario = 1',
        (s) => (s.threePcAtomicity = { partitionScenario: 2, elsewhere: 1, elsewhereIds: ['x'] }),
      ],
      [
        'threePcAtomicityViolations in the partition scenario = 0',
        (s) => (s.threePcAtomicity = { partitionScenario: 0, elsewhere: 0, elsewhereIds: [] }),
      ],
      ['the partition scenario did not run', (s) => (s.partition = null)],
      ['Temporal restarts: 0 injected', (s) => (s.temporalRestarts = 0)],
      ['Postgres restarts: 1 injected, 0 back', (s) => (s.recovered = { ...s.recovered, postgres: 0 })],
      ['faults: 5 of 6 landed', (s) => (s.faultsLandedMidRun = 5)],
      ['busLost = 1', (s) => (s.busLost = 1)],
      ['demandMismatches = 2', (s) => (s.demandMismatches = 2)],
      [
        'bus broker faults: 1 injected, 0 recovered',
        (s) => (s.bus.faults = { ...s.bus.faults, recovered: { broker: 0, consumers: 1, relay: 1 } }),
      ],
      [
        'bus relay faults: 0 injected',
        (s) => (s.bus.faults = { ...s.bus.faults, injected: { broker: 1, consumers: 1, relay: 0 } }),
      ],
      [
        'independent read of orders.events',
        (s) => (s.bus.independentRead = { ...s.bus.independentRead, duplicates: 1 }),
      ],
      [
        'independent read of orders.events',
        (s) => (s.bus.independentRead = { ...s.bus.independentRead, events: 0 }),
      ],
      ['carrier breaker', (s) => (s.breaker = { ...s.breaker!, halfOpened: 0 })],
    ];
    for (const [want, breakIt] of broken) {
      const s = clean();
      breakIt(s);
      const f = failuresOf(s, SHORT);
      assert.ok(
        f.some((x) => x.startsWith(want)),
        `${want}: ${JSON.stringify(f)}`,
      );
    }
  });

  it('a cluster run needs its four faults landed mid-run, recovered, and every saga in flight progressed again', () => {
    const fault = (name: string) => ({
      fault: name,
      at: 0,
      sagasRunning: 3,
      marker: 'back',
      markerMs: 100,
      inFlight: 3,
      progressed: 3,
      recoverMs: 500,
      stallMs: 200,
      firstProgressMs: 10,
    });
    const cluster = (): ClusterResult => ({
      nodes: 2,
      workers: [],
      apiInstances: 2,
      load: 120,
      faults: ['node', 'workers', 'api', 'restart'].map(fault),
    });
    const opts = { ...SHORT, cluster: true };
    const s = clean();
    s.cluster = cluster();
    assert.deepEqual(failuresOf(s, opts), []);
    const broken: [string, (c: ClusterResult) => void][] = [
      ['cluster: 3 of 4 faults injected', (c) => c.faults.pop()],
      ['cluster: node landed with no saga running', (c) => (c.faults[0]!.sagasRunning = 0)],
      ['cluster: api not recovered', (c) => (c.faults[2]!.markerMs = -1)],
      ['cluster: workers: 2/3 sagas in flight', (c) => (c.faults[1]!.progressed = 2)],
      ['cluster: restart: no saga in flight', (c) => (c.faults[3]!.inFlight = 0)],
    ];
    for (const [want, breakIt] of broken) {
      const b = clean();
      b.cluster = cluster();
      breakIt(b.cluster);
      const f = failuresOf(b, opts);
      assert.ok(
        f.some((x) => x.startsWith(want)),
        `${want}: ${JSON.stringify(f)}`,
      );
    }
    assert.ok(failuresOf(clean(), opts).includes('the cluster scenario did not run'));
  });

  it('time to recover from the logs: sagas in flight at the fault until each progressed, and the longest stall', () => {
    const e = (orderId: string, at: number, type = 'X'): ProgressEvent => ({ orderId, at, type });
    const events = [
      e('a', 0, 'OrderPlaced'),
      e('b', 10, 'OrderPlaced'),
      e('c', 20, 'OrderPlaced'),
      e('c', 90, 'OrderCompleted'), // ended before the fault: not in flight
      e('a', 1100), // 1000 ms after the fault at 100: the first progress
      e('d', 1200, 'OrderPlaced'), // placed after the fault: not in flight
      e('b', 4100), // the last saga in flight moves 4000 ms after the fault
      e('a', 5000),
    ];
    assert.deepEqual(recoveryAt(events, 100), {
      inFlight: 2,
      progressed: 2,
      recoverMs: 4000,
      stallMs: 2900,
      firstProgressMs: 1000,
    });
    // a saga in flight that never moves again: not recovered
    assert.deepEqual(recoveryAt(events.slice(0, 6), 100), {
      inFlight: 2,
      progressed: 1,
      recoverMs: -1,
      stallMs: 1000,
      firstProgressMs: 1000,
    });
  });
});
