/**
 * Saga and carrier metrics (prom-client). One registry per process (`createMetricsRegistry`); the worker's
 * /metrics serves it together with the Temporal SDK's own worker metrics.
 *
 * How they are recorded: the workflow cannot use prom-client (deterministic sandbox, replays), so it calls
 * the `sagaMetrics` workflow sink (src/workflows/metrics-sink.ts), implemented here by `sagaMetricsSinks`.
 * Sinks run outside the sandbox, after the workflow activation, and are not called during replay, so counts
 * do not double when a workflow is replayed. The carrier breaker gauge is set by the shipping activities.
 */
import type { InjectedSinks } from '@temporalio/worker';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SagaMetricsSinks } from '../workflows/metrics-sink';

export const BREAKER_STATE_VALUES = { closed: 0, open: 1, halfOpen: 2, isolated: 3 } as const;

export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function createSagaMetrics(registry: Registry) {
  const registers = [registry];
  return {
    started: new Counter({ name: 'saga_started_total', help: 'Order sagas started', registers }),
    completed: new Counter({ name: 'saga_completed_total', help: 'Order sagas completed', registers }),
    failed: new Counter({
      name: 'saga_failed_total',
      help: 'Order sagas that ended FAILED, by failed step and error type',
      labelNames: ['step', 'error_type'],
      registers,
    }),
    cancelled: new Counter({
      name: 'saga_cancelled_total',
      help: 'Order sagas cancelled by the customer, by the step they were in',
      labelNames: ['step'],
      registers,
    }),
    compensations: new Counter({
      name: 'saga_compensations_total',
      help: 'Compensations run, by compensation (undo step)',
      labelNames: ['compensation'],
      registers,
    }),
    compensationFailures: new Counter({
      name: 'saga_compensation_failures_total',
      help: 'Compensations that exhausted their retry budget (saga parked in COMPENSATION_BLOCKED)',
      labelNames: ['compensation', 'error_type'],
      registers,
    }),
    duration: new Histogram({
      name: 'saga_duration_seconds',
      help: 'Saga duration from start to terminal state (workflow time), by outcome',
      labelNames: ['outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    cancellationWindow: new Histogram({
      name: 'saga_cancellation_window_seconds',
      help: 'Time sagas spent in the cancellation window, by whether the order was cancelled in it',
      labelNames: ['cancelled'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 3600],
      registers,
    }),
    breakerState: new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open, 3 isolated',
      labelNames: ['dependency'],
      registers,
    }),
    inDoubtTransactions: new Gauge({
      name: 'in_doubt_transactions',
      help: 'Prepared transactions (2PC/3PC) of a participant not finished yet, as of its last recovery sweep',
      labelNames: ['participant'],
      registers,
    }),
    inDoubtOldestAge: new Gauge({
      name: 'in_doubt_oldest_age_seconds',
      help: "Age of a participant's oldest prepared transaction not finished yet (0: none), as of its last sweep",
      labelNames: ['participant'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes per dependency and new state',
      labelNames: ['dependency', 'state'],
      registers,
    }),
  };
}
export type SagaMetrics = ReturnType<typeof createSagaMetrics>;

/** The worker-side implementation of the `sagaMetrics` workflow sink. */
export function sagaMetricsSinks(m: SagaMetrics): InjectedSinks<SagaMetricsSinks> {
  const s = (ms: number) => Math.max(0, ms) / 1000;
  return {
    sagaMetrics: {
      started: { fn: () => m.started.inc(), callDuringReplay: false },
      completed: {
        fn: (_info, durationMs) => {
          m.completed.inc();
          m.duration.observe({ outcome: 'completed' }, s(durationMs));
        },
        callDuringReplay: false,
      },
      failed: {
        fn: (_info, step, errorType, durationMs) => {
          m.failed.inc({ step, error_type: errorType });
          m.duration.observe({ outcome: 'failed' }, s(durationMs));
        },
        callDuringReplay: false,
      },
      cancelled: {
        fn: (_info, step, durationMs) => {
          m.cancelled.inc({ step });
          m.duration.observe({ outcome: 'cancelled' }, s(durationMs));
        },
        callDuringReplay: false,
      },
      compensationRun: {
        fn: (_info, compensation) => m.compensations.inc({ compensation }),
        callDuringReplay: false,
      },
      compensationFailed: {
        fn: (_info, compensation, errorType) =>
          m.compensationFailures.inc({ compensation, error_type: errorType }),
        callDuringReplay: false,
      },
      cancellationWindow: {
        fn: (_info, waitedMs, cancelled) =>
          m.cancellationWindow.observe({ cancelled: String(cancelled) }, s(waitedMs)),
        callDuringReplay: false,
      },
    },
  };
}
