/**
 * A service's part in one choreographed order (stream `saga-<orderId>` in that service's schema): the
 * outcome of each of its steps (completed or refused, first outcome wins), and whether the order was
 * withdrawn from it (a compensation reached it). Published, these events are what the other services react
 * to. Withdrawn is recorded before the undo runs, and a forward step is never started once withdrawn; a
 * step that completed while the withdrawal was being recorded sees it in the state it gets back and undoes
 * itself (src/services/participation.ts).
 */
import type { Decider } from '../decider';
import { InvalidTransition, assertNever } from '../errors';

export const PARTICIPANTS = ['inventory', 'payments', 'shipping'] as const;
export type Participant = (typeof PARTICIPANTS)[number];

export interface StepRefusal {
  /** the domain error code (InsufficientStock, InsufficientFunds, UnsupportedCountry, CarrierUnavailable...) */
  type: string;
  message: string;
}

export type ChoreographyStepCompleted = {
  type: 'ChoreographyStepCompleted';
  data: { orderId: string; service: Participant; step: string; detail: Record<string, unknown>; at: string };
};
export type ChoreographyStepRefused = {
  type: 'ChoreographyStepRefused';
  data: { orderId: string; service: Participant; step: string; reason: StepRefusal; at: string };
};
export type ChoreographyWithdrawn = {
  type: 'ChoreographyWithdrawn';
  data: { orderId: string; service: Participant; at: string };
};
export type ChoreographyStepUndone = {
  type: 'ChoreographyStepUndone';
  data: { orderId: string; service: Participant; at: string };
};
export type ParticipationEvent =
  ChoreographyStepCompleted | ChoreographyStepRefused | ChoreographyWithdrawn | ChoreographyStepUndone;

export type ParticipationCommand =
  | {
      type: 'CompleteStep';
      orderId: string;
      service: Participant;
      step: string;
      detail: Record<string, unknown>;
      now: string;
    }
  | {
      type: 'RefuseStep';
      orderId: string;
      service: Participant;
      step: string;
      reason: StepRefusal;
      now: string;
    }
  | { type: 'Withdraw'; orderId: string; service: Participant; now: string }
  | { type: 'MarkUndone'; orderId: string; service: Participant; now: string };

export interface ParticipationState {
  steps: Record<
    string,
    { outcome: 'completed'; detail: Record<string, unknown> } | { outcome: 'refused'; reason: StepRefusal }
  >;
  withdrawn: boolean;
  undone: boolean;
}

/**
 * `<service>-saga-<orderId>`: unique across the services, because a consumer of several topics keeps its
 * order per stream id (one checkpoint per stream), and the orders service's own stream is `saga-<orderId>`.
 */
export const participationStreamId = (service: Participant, orderId: string): string =>
  `${service}-saga-${orderId}`;

function decide(c: ParticipationCommand, s: ParticipationState): ParticipationEvent[] {
  switch (c.type) {
    case 'CompleteStep':
      if (s.withdrawn || s.steps[c.step]) return [];
      return [
        {
          type: 'ChoreographyStepCompleted',
          data: { orderId: c.orderId, service: c.service, step: c.step, detail: c.detail, at: c.now },
        },
      ];
    case 'RefuseStep':
      if (s.withdrawn || s.steps[c.step]) return [];
      return [
        {
          type: 'ChoreographyStepRefused',
          data: { orderId: c.orderId, service: c.service, step: c.step, reason: c.reason, at: c.now },
        },
      ];
    case 'Withdraw':
      if (s.withdrawn) return [];
      return [{ type: 'ChoreographyWithdrawn', data: { orderId: c.orderId, service: c.service, at: c.now } }];
    case 'MarkUndone':
      if (s.undone) return [];
      if (!s.withdrawn) throw new InvalidTransition('Participation', 'active', c.type);
      return [
        { type: 'ChoreographyStepUndone', data: { orderId: c.orderId, service: c.service, at: c.now } },
      ];
    default:
      return assertNever(c);
  }
}

function evolve(s: ParticipationState, e: ParticipationEvent): ParticipationState {
  switch (e.type) {
    case 'ChoreographyStepCompleted':
      return { ...s, steps: { ...s.steps, [e.data.step]: { outcome: 'completed', detail: e.data.detail } } };
    case 'ChoreographyStepRefused':
      return { ...s, steps: { ...s.steps, [e.data.step]: { outcome: 'refused', reason: e.data.reason } } };
    case 'ChoreographyWithdrawn':
      return { ...s, withdrawn: true };
    case 'ChoreographyStepUndone':
      return { ...s, undone: true };
    default:
      return assertNever(e);
  }
}

export const participationDecider: Decider<ParticipationCommand, ParticipationEvent, ParticipationState> = {
  initialState: () => ({ steps: {}, withdrawn: false, undone: false }),
  decide,
  evolve,
};
