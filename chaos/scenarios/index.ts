/** The chaos scenarios, in the order a run plays them. */
import { carrierScenario } from './carrier';
import { contentionScenario } from './contention';
import type { Scenario } from './context';
import { faultsScenario } from './faults';
import { hostileScenario } from './hostile';
import { idempotencyScenario } from './idempotency';

export const SCENARIOS: Scenario[] = [
  faultsScenario,
  carrierScenario,
  contentionScenario,
  idempotencyScenario,
  hostileScenario,
];
