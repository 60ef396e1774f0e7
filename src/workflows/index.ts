/** Workflow bundle entry (workers: `workflowsPath: require.resolve('../workflows')`). */
export { orderSaga } from './order-saga';
export { twoPhaseCommit } from './two-phase-commit';
export { threePhaseCommit } from './three-phase-commit';
