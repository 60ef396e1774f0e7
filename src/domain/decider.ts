/**
 * The shape every aggregate in src/domain exports: pure `decide` and `evolve` over its own commands, events
 * and state. The event store folds and appends through it, so the store depends on the domain, never the
 * other way round.
 */
export interface Decider<C, E extends { type: string }, S> {
  initialState: () => S;
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: E) => S;
}
