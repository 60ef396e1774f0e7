/**
 * The coordination modes the suite's orders run under (the API's one list), which mode each order of a load
 * gets, and the one place that says which modes take a customer's cancel: a cancellation is sent only to an
 * order of such a mode (2pc and 3pc answer 409 to a cancel today, so the mix sends them none).
 */
import { COORDINATION_MODES, type CoordinationMode } from '../../src/domain/coordination';

export { COORDINATION_MODES, type CoordinationMode };

/** the modes whose orders accept `POST /orders/{id}/cancel` inside the cancellation window */
export const CANCELLABLE_MODES: readonly CoordinationMode[] = ['orchestration', 'choreography'];
export const cancellable = (m: CoordinationMode): boolean => CANCELLABLE_MODES.includes(m);

/** the two saga modes (the contention scenario runs in each) */
export const SAGA_MODES: readonly CoordinationMode[] = ['orchestration', 'choreography'];

/**
 * One mode per order of a load of `n`: each mode in turn (so every mode is present once n ≥ 4), in an order
 * shuffled by the run's seeded random.
 */
export function assignModes(n: number, random: () => number): CoordinationMode[] {
  const modes = Array.from({ length: n }, (_, i) => COORDINATION_MODES[i % COORDINATION_MODES.length]!);
  for (let i = modes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [modes[i], modes[j]] = [modes[j]!, modes[i]!];
  }
  return modes;
}

/** the request body's `coordination` (the API's default when absent) */
export function modeOfBody(body: unknown): CoordinationMode {
  const m = (body as { coordination?: unknown } | null)?.coordination;
  return (COORDINATION_MODES as readonly unknown[]).includes(m)
    ? (m as CoordinationMode)
    : COORDINATION_MODES[0];
}
