/** Workflow bundle entry (workers: `workflowsPath: require.resolve('../workflows')`). */
export { orderSaga } from './order-saga';
