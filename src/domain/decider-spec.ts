/**
 * Given/when/then helper for decider unit specs: given past events, when a command, then the new events
 * (or a thrown business error).
 */
import assert from 'node:assert/strict';
import type { Decider } from './decider';
import type { DomainError } from './errors';

export interface DeciderSpec<C, E extends { type: string }, S> {
  given(events: E[]): {
    when(command: C): {
      then(expected: E[]): void;
      thenThrows(code: string, check?: (err: DomainError) => void): void;
      events(): E[];
    };
    state(): S;
  };
}

export function deciderSpec<C, E extends { type: string }, S>(
  decider: Decider<C, E, S>,
): DeciderSpec<C, E, S> {
  return {
    given(events) {
      const state = (): S => events.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command) {
          const run = (): E[] => decider.decide(command, state());
          return {
            events: run,
            then(expected) {
              assert.deepStrictEqual(run(), expected);
            },
            thenThrows(code, check) {
              assert.throws(run, (err: unknown) => {
                assert.equal((err as DomainError).code, code, `expected ${code}, got ${String(err)}`);
                check?.(err as DomainError);
                return true;
              });
            },
          };
        },
      };
    },
  };
}
