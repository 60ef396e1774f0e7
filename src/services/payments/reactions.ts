/**
 * The payments service's reactions to choreographed orders: inventory reserved the order's stock → charge
 * the customer (InsufficientFunds refuses it); the orders service's saga compensating → withdraw and refund
 * this order's charge (a no-op when there was none). Keys `choreo-<orderId>/<step>`.
 */
import type { Pool } from 'pg';
import type { ChoreographyStepCompleted, SagaTransitioned } from '../../domain/choreography';
import { eventsTopic } from '../../bus/topics';
import type { RelayLog } from '../../eventstore';
import { createParticipation, reactionMeta } from '../participation';
import { reactionConsumerName, sagaEvent, type ServiceReactions } from '../reactions/types';
import { createPaymentsService } from '.';

export function createPaymentsReactions(deps: { pool: Pool; log: RelayLog }): ServiceReactions {
  const payments = createPaymentsService({ pool: deps.pool });
  const part = createParticipation({ pool: deps.pool }, 'payments');
  const refund = (customerId: string, orderId: string, cause: string) =>
    payments.refund({ customerId, orderId }, reactionMeta(orderId, 'refund', cause));

  return {
    service: 'payments',
    consumer: reactionConsumerName('payments'),
    topics: [eventsTopic('inventory'), eventsTopic('orders')],
    scheduled: {},
    async apply(_client, event) {
      const e = sagaEvent<ChoreographyStepCompleted['data'] | SagaTransitioned['data']>(event);
      if (!e) return;
      const cause = event.envelope.eventId;
      if (event.topic === eventsTopic('inventory') && e.type === 'ChoreographyStepCompleted') {
        const d = e.data as ChoreographyStepCompleted['data'];
        if (d.step !== 'reserve') return;
        const { customerId, total } = d.detail as { customerId: string; total: number };
        await part.runStep(
          d.orderId,
          'charge',
          cause,
          async () => {
            await payments.charge(
              { customerId, orderId: d.orderId, amount: total },
              reactionMeta(d.orderId, 'charge', cause),
            );
            return { customerId, amount: total };
          },
          () => refund(customerId, d.orderId, cause),
        );
        return;
      }
      if (event.topic === eventsTopic('orders') && e.type === 'SagaTransitioned') {
        const t = e.data as SagaTransitioned['data'];
        if (t.to !== 'COMPENSATING') return;
        await part.withdrawAndUndo(t.orderId, cause, () => refund(t.order.customerId, t.orderId, cause));
      }
    },
  };
}
