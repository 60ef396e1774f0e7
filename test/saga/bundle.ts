/**
 * What every saga test stack shares: the real `orderSaga` workflow bundle (built once per test file) and a
 * quiet SDK runtime logger.
 */
import {
  DefaultLogger,
  Runtime,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cachedBundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  return cachedBundle;
}

/** Keeps the SDK quiet unless something is really wrong (SDK_LOG_LEVEL=debug to see everything). */
export function quietSdkRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger(process.env.SDK_LOG_LEVEL === 'debug' ? 'DEBUG' : 'ERROR') });
  } catch {
    // already installed by an earlier stack in this process
  }
}
