/**
 * What a service's reactions to choreographed orders are, for the worker that runs them: one ordered bus
 * consumer (src/bus/ordered-consumer.ts) over the topics it listens to, and the handlers of its scheduled
 * messages (src/scheduler). A reaction calls the service's own use cases, as the activities do.
 */
import type { ApplyFn, BusEvent } from '../../bus/ordered-apply';
import type { EventsTopic } from '../../bus/topics';
import { InvalidTransition } from '../../domain/errors';
import type { RelayLog } from '../../eventstore';
import type { ScheduledHandler } from '../../scheduler';
import type { ServiceName } from '../../workflows/contracts';

export interface ServiceReactions {
  service: ServiceName;
  /** the consumer's name: its group, checkpoints and dead-letter topic */
  consumer: string;
  topics: EventsTopic[];
  apply: ApplyFn;
  scheduled: Record<string, ScheduledHandler>;
}

const SAGA_STREAM = /^(?:(?:inventory|payments|shipping)-)?saga-(.+)$/;

/**
 * A choreography event: on the orders service's `saga-<orderId>` stream or a participant's
 * `<service>-saga-<orderId>` (every other stream is not a reaction's business).
 */
export function sagaEvent<D>(event: BusEvent): { orderId: string; type: string; data: D } | undefined {
  const { streamId, type, data } = event.envelope;
  const m = SAGA_STREAM.exec(streamId);
  if (!m?.[1]) return undefined;
  return { orderId: m[1], type, data: data as D };
}

/** Runs a reaction; an InvalidTransition is logged and applies nothing (the event is consumed). */
export async function rejectingInvalid(
  log: RelayLog,
  what: Record<string, unknown>,
  fn: () => Promise<unknown>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof InvalidTransition)) throw err;
    log.warn({ ...what, err: err.message }, 'choreography: invalid transition rejected, not applied');
  }
}

export const reactionConsumerName = (service: ServiceName): string => `${service}-choreography`;
