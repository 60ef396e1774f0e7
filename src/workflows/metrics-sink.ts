/**
 * Saga metrics from inside the workflow. Workflow code is sandboxed and replayed, so it cannot touch
 * prom-client; it calls this *sink* instead. The worker injects the implementation
 * (src/metrics/saga-metrics.ts) and, with `callDuringReplay: false`, a replay (cache eviction, worker
 * restart) does not count a saga twice. Durations are workflow time (deterministic `Date.now()`).
 */
import { proxySinks, type Sinks } from '@temporalio/workflow';

export interface SagaMetricsSinks extends Sinks {
  sagaMetrics: {
    started(): void;
    completed(durationMs: number): void;
    failed(step: string, errorType: string, durationMs: number): void;
    cancelled(step: string, durationMs: number): void;
    compensationRun(compensation: string): void;
    compensationFailed(compensation: string, errorType: string): void;
    cancellationWindow(waitedMs: number, cancelled: boolean): void;
  };
}

export const { sagaMetrics } = proxySinks<SagaMetricsSinks>();
