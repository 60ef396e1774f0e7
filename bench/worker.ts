/**
 * A bench-only worker process for one task queue (`tsx bench/worker.ts <service>`), in the bench namespace
 * (TEMPORAL_NAMESPACE, set by bench/run.ts) of the same dev server as the stack, with the production worker
 * options (same WORKER_* variables, same Runtime telemetry, same shutdown grace) but no-op activities:
 * the bare workflow and the real orderSaga code run against them. The orders worker also runs the
 * workflows (bench/workflows). Prints `bench-worker ready` once it polls; stops on SIGTERM/SIGINT.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { createMetricsRegistry, createSagaMetrics, sagaMetricsSinks } from '../src/metrics/saga-metrics';
import { nativeConnectionOptions } from '../src/platform/temporal-connection';
import { TASK_QUEUES, type ServiceName } from '../src/workflows/contracts';
import { benchActivities } from './activities';

async function main(service: ServiceName): Promise<void> {
  const config = loadConfig(process.env);
  const coreMetricsPort = Number(process.env.BENCH_CORE_METRICS_PORT ?? 0);
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    ...(coreMetricsPort
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${coreMetricsPort}` } } } }
      : {}),
  });
  const connection = await NativeConnection.connect(nativeConnectionOptions(config));
  const w = config.worker;
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: TASK_QUEUES[service],
    activities: benchActivities(service),
    maxConcurrentActivityTaskExecutions: w.maxConcurrentActivities,
    shutdownGraceTime: '10s',
    ...(service === 'orders'
      ? {
          workflowsPath: require.resolve('./workflows'),
          sinks: sagaMetricsSinks(createSagaMetrics(createMetricsRegistry({ service: 'bench' }))),
          maxConcurrentWorkflowTaskExecutions: w.maxConcurrentWorkflowTasks,
          maxCachedWorkflows: w.maxCachedWorkflows,
        }
      : {}),
  });
  const stop = () => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const running = worker.run();
  console.log(`bench-worker ready ${service}`);
  try {
    await running;
  } finally {
    await connection.close();
  }
}

const service = process.argv[2] as ServiceName | undefined;
if (!service || !(service in TASK_QUEUES)) {
  console.error('usage: tsx bench/worker.ts <orders|inventory|payments|shipping>');
  process.exit(2);
}
main(service).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench-worker ${service} failed:`, err);
    process.exit(1);
  },
);
