/**
 * Everything the outside can ask of a running saga, in one place: the `sagaState` query, the
 * `retryCompensation` signal and the `cancelOrder` update. The handlers only read and record in SagaState;
 * the saga itself acts on what they recorded (src/workflows/README.md, "Cancellation").
 */
import { condition, log, setHandler } from '@temporalio/workflow';
import {
  cancelOrderUpdate,
  type CancelOrderRequest,
  retryCompensationSignal,
  sagaStateQuery,
} from './contracts';
import type { SagaState } from './saga-state';

export function setSagaHandlers(saga: SagaState): void {
  const { orderId } = saga;
  setHandler(sagaStateQuery, () => saga.view());
  setHandler(retryCompensationSignal, () => {
    saga.retryRequested = true;
  });
  setHandler(
    cancelOrderUpdate,
    async (req) => {
      const cancel = saga.acceptCancel(req);
      log.info('cancellation accepted', { orderId, state: saga.state, reason: cancel.reason });
      await condition(() => saga.settled);
      return { orderId, accepted: true as const, status: saga.status, state: saga.state };
    },
    {
      validator: (_req: CancelOrderRequest) => saga.checkCancellable(),
      description: 'Cancel the order while it has not shipped; compensations run and it ends CANCELLED.',
    },
  );
}
