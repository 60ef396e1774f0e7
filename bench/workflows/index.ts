/** The bench workers' workflow bundle: the bare baseline and the real saga code (run with stubs). */
export { bareWorkflow } from './bare';
export { orderSaga } from '../../src/workflows/order-saga';
