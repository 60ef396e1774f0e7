/**
 * The inventory service's reactions to choreographed orders (events of the orders service's saga stream):
 * a started order → reserve its lines (all or none; InsufficientStock or UnknownSku refuse it); shipped →
 * commit the reserved units; compensating → withdraw and release what the order holds. Each calls the
 * service's use case with the key `choreo-<orderId>/<step>`, so a redelivered event changes nothing.
 */
import type { Pool } from 'pg';
import type { ChoreographyStarted, SagaOrder, SagaTransitioned } from '../../domain/choreography';
import { eventsTopic } from '../../bus/topics';
import type { RelayLog } from '../../eventstore';
import { createParticipation, reactionMeta } from '../participation';
import { reactionConsumerName, sagaEvent, type ServiceReactions } from '../reactions/types';
import { createInventoryService } from '.';

export function createInventoryReactions(deps: { pool: Pool; log: RelayLog }): ServiceReactions {
  const inventory = createInventoryService({ pool: deps.pool });
  const part = createParticipation({ pool: deps.pool }, 'inventory');
  const skus = (order: SagaOrder) => order.lines.map((l) => l.sku);
  const release = (order: SagaOrder, cause: string) =>
    inventory.release(
      { orderId: order.orderId, lines: skus(order).map((sku) => ({ sku })) },
      reactionMeta(order.orderId, 'release', cause),
    );

  return {
    service: 'inventory',
    consumer: reactionConsumerName('inventory'),
    topics: [eventsTopic('orders')],
    scheduled: {},
    async apply(_client, event) {
      const e = sagaEvent<ChoreographyStarted['data'] | SagaTransitioned['data']>(event);
      if (!e) return;
      const cause = event.envelope.eventId;
      if (e.type === 'ChoreographyStarted') {
        const { order } = e.data;
        const lines = order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
        await part.runStep(
          order.orderId,
          'reserve',
          cause,
          async () => {
            await inventory.reserve(
              { orderId: order.orderId, lines },
              reactionMeta(order.orderId, 'reserve', cause),
            );
            return { customerId: order.customerId, total: order.total };
          },
          () => release(order, cause),
        );
        return;
      }
      if (e.type !== 'SagaTransitioned') return;
      const t = e.data as SagaTransitioned['data'];
      if (t.to === 'ORDER_SHIPPED') {
        await part.runStep(
          t.orderId,
          'commit',
          cause,
          async () => {
            await inventory.commit(
              { orderId: t.orderId, lines: skus(t.order).map((sku) => ({ sku })) },
              reactionMeta(t.orderId, 'commit', cause),
            );
            return {};
          },
          () => Promise.resolve(), // shipped: nothing to undo
        );
      } else if (t.to === 'COMPENSATING') {
        await part.withdrawAndUndo(t.orderId, cause, () => release(t.order, cause));
      }
    },
  };
}
