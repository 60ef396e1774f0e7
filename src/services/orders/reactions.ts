/**
 * The orders service's reactions: the participants' step outcomes move each choreographed order's saga
 * (./choreography.ts); the cancellation window and the step deadlines arrive as scheduled messages.
 */
import type { Pool } from 'pg';
import type { ChoreographyCommand, ParticipationEvent } from '../../domain/choreography';
import { eventsTopic } from '../../bus/topics';
import type { RelayLog } from '../../eventstore';
import type { SagaStateName } from '../../workflows/contracts';
import { reactionConsumerName, rejectingInvalid, sagaEvent, type ServiceReactions } from '../reactions/types';
import { createOrderChoreography, DEADLINE_MESSAGE, WINDOW_MESSAGE } from './choreography';

function commandOf(e: ParticipationEvent, now: string): ChoreographyCommand | undefined {
  switch (e.type) {
    case 'ChoreographyStepCompleted': {
      const d = e.data;
      return { type: 'ObserveCompleted', service: d.service, step: d.step, detail: d.detail, now };
    }
    case 'ChoreographyStepRefused': {
      const d = e.data;
      return { type: 'ObserveRefused', service: d.service, step: d.step, reason: d.reason, now };
    }
    case 'ChoreographyStepUndone':
      return { type: 'ObserveUndone', service: e.data.service, now };
    default:
      return undefined; // ChoreographyWithdrawn: the participant's own bookkeeping
  }
}

export function createOrdersReactions(deps: { pool: Pool; log: RelayLog }): ServiceReactions {
  const choreo = createOrderChoreography({ pool: deps.pool });
  const { log } = deps;
  return {
    service: 'orders',
    consumer: reactionConsumerName('orders'),
    topics: [eventsTopic('inventory'), eventsTopic('payments'), eventsTopic('shipping')],
    async apply(_client, event) {
      const e = sagaEvent<ParticipationEvent['data']>(event);
      if (!e) return;
      const command = commandOf(
        { type: e.type, data: e.data } as ParticipationEvent,
        new Date().toISOString(),
      );
      if (!command) return;
      await rejectingInvalid(log, { orderId: e.orderId, event: e.type, from: event.topic }, () =>
        choreo.observe(e.orderId, command, event.envelope.eventId),
      );
    },
    scheduled: {
      [WINDOW_MESSAGE]: async (msg) => {
        const { orderId } = msg.payload as { orderId: string };
        await rejectingInvalid(log, { orderId, message: msg.kind }, () => choreo.windowElapsed(orderId));
      },
      [DEADLINE_MESSAGE]: async (msg) => {
        const { orderId, state } = msg.payload as { orderId: string; state: SagaStateName };
        await rejectingInvalid(log, { orderId, message: msg.kind, state }, () =>
          choreo.deadlineExceeded(orderId, state),
        );
      },
    },
  };
}
