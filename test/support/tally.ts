/**
 * A small aggregate for the event store's own specs (a tally of added amounts; deliberately not idempotent:
 * the same command twice adds twice), and a reader of all streams up to the end of the log.
 */
import type { Decider } from '../../src/domain/decider';
import type { AllPosition, EventStore, StoredEvent } from '../../src/eventstore/types';

export type TallyEvent =
  { type: 'Added'; data: { amount: number; label: string } } | { type: 'Reset'; data: object };
export type TallyCommand = { type: 'Add'; amount: number; label: string } | { type: 'Reset' };
export interface TallyState {
  total: number;
  count: number;
  labels: string[];
}

export const tally: Decider<TallyCommand, TallyEvent, TallyState> = {
  initialState: () => ({ total: 0, count: 0, labels: [] }),
  decide: (cmd) =>
    cmd.type === 'Add'
      ? [{ type: 'Added', data: { amount: cmd.amount, label: cmd.label } }]
      : [{ type: 'Reset', data: {} }],
  evolve: (s, e) =>
    e.type === 'Added'
      ? { total: s.total + e.data.amount, count: s.count + 1, labels: [...s.labels, e.data.label] }
      : { total: 0, count: s.count + 1, labels: s.labels },
};

export const added = (amount: number, label = `l${amount}`) => ({ type: 'Added', data: { amount, label } });

export async function readAllFrom(
  store: EventStore,
  from: AllPosition,
): Promise<{ events: StoredEvent[]; next: AllPosition }> {
  const events: StoredEvent[] = [];
  let next = from;
  for (;;) {
    const r = await store.readAll({ after: next, limit: 500 });
    events.push(...r.events);
    next = r.next;
    if (r.events.length === 0) return { events, next };
  }
}
