/**
 * A service's part in choreographed orders (src/domain/choreography/participation.ts) as use cases: run a
 * forward step once (its outcome recorded and published), and withdraw the order from the service and
 * undo what the step did. The step itself is a call of the service's own use case (reserve, charge,
 * create...), with the same idempotency as the activities'; a domain refusal becomes a recorded refusal,
 * anything else is thrown (the bus consumer tries again).
 */
import { isDomainError } from '../domain/errors';
import {
  participationDecider,
  participationStreamId,
  type Participant,
  type ParticipationCommand,
  type ParticipationState,
  type StepRefusal,
} from '../domain/choreography';
import { handleCommand } from '../eventstore/command';
import type { EventMetadata } from '../eventstore/types';
import { commandOptions, resolveDeps, type ServiceDeps } from './common';

export type StepOutcome = 'completed' | 'refused' | 'skipped' | 'undone-late';

/** The key a choreographed order's step uses in every service: `choreo-<orderId>/<step>`. */
export const choreographyKey = (orderId: string, step: string): string => `choreo-${orderId}/${step}`;

/** Event metadata of a reaction: the order, the consumed event that caused it, the step's key. */
export const reactionMeta = (orderId: string, step: string, causationId: string): EventMetadata => ({
  correlationId: orderId,
  causationId,
  idempotencyKey: choreographyKey(orderId, step),
});

export function createParticipation(deps: ServiceDeps, service: Participant) {
  const { store, now } = resolveDeps(deps, service);

  async function record(command: ParticipationCommand, meta: EventMetadata, key: string) {
    const r = await handleCommand(
      store,
      participationStreamId(service, command.orderId),
      participationDecider,
      command,
      commandOptions(meta, key),
    );
    return r.state;
  }

  async function state(orderId: string): Promise<ParticipationState> {
    return (await store.aggregateStream(participationStreamId(service, orderId), participationDecider)).state;
  }

  return {
    state,

    /**
     * Runs `action` unless the step has an outcome or the order was withdrawn; records completed (with the
     * action's detail) or refused (a domain error). When the withdrawal landed while the action ran, the
     * action is undone here.
     */
    async runStep(
      orderId: string,
      step: string,
      causationId: string,
      action: () => Promise<Record<string, unknown>>,
      undo: () => Promise<unknown>,
    ): Promise<StepOutcome> {
      const before = await state(orderId);
      if (before.withdrawn || before.steps[step]) return 'skipped';
      const meta = reactionMeta(orderId, step, causationId);
      const key = choreographyKey(orderId, step);
      let detail: Record<string, unknown>;
      try {
        detail = await action();
      } catch (err) {
        if (!isDomainError(err)) throw err;
        const reason: StepRefusal = { type: err.code, message: err.message };
        await record({ type: 'RefuseStep', orderId, service, step, reason, now: now() }, meta, key);
        return 'refused';
      }
      return this.complete(orderId, step, causationId, detail, undo);
    },

    /** Records a step completed (with its detail); undoes it when the order was withdrawn meanwhile. */
    async complete(
      orderId: string,
      step: string,
      causationId: string,
      detail: Record<string, unknown>,
      undo: () => Promise<unknown>,
    ): Promise<StepOutcome> {
      const meta = reactionMeta(orderId, step, causationId);
      const after = await record(
        { type: 'CompleteStep', orderId, service, step, detail, now: now() },
        meta,
        choreographyKey(orderId, step),
      );
      if (after.steps[step]?.outcome === 'completed') return 'completed';
      await undo(); // withdrawn while the step ran: its effect must not stay
      return 'undone-late';
    },

    /** Records a refusal that is not a thrown domain error (e.g. the carrier's budget ran out). */
    async refuse(orderId: string, step: string, causationId: string, reason: StepRefusal): Promise<void> {
      await record(
        { type: 'RefuseStep', orderId, service, step, reason, now: now() },
        reactionMeta(orderId, step, causationId),
        choreographyKey(orderId, step),
      );
    },

    /** The order is compensating: withdraw (no forward step starts after this), undo, record it undone. */
    async withdrawAndUndo(orderId: string, causationId: string, undo: () => Promise<unknown>): Promise<void> {
      const meta = reactionMeta(orderId, 'undo', causationId);
      const key = choreographyKey(orderId, 'undo');
      await record({ type: 'Withdraw', orderId, service, now: now() }, meta, key);
      await undo();
      await record({ type: 'MarkUndone', orderId, service, now: now() }, meta, key);
    },
  };
}

export type Participation = ReturnType<typeof createParticipation>;
