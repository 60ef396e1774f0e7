/**
 * Every counter split by coordination mode: the part of a finding that names an order (`add(n, why,
 * orderId)`) goes to that order's mode (oracle/modes.ts); the rest is about something the modes share (a
 * SKU's stock, an account's balance, an outbox, a read-model aggregate) and is reported as `shared`.
 */
import type { Finding, OracleContext } from '../oracle/context';
import { MODES, modeOf, type Mode } from '../oracle/modes';
import { knownOrderIds, standingOf } from '../oracle/standing';

export interface ModeReport<C extends string> {
  counters: Record<C, number>;
  /** orders of this mode known to the check, and of those how many are terminal */
  orders: number;
  terminal: number;
}

export interface PerModeReport<C extends string> {
  perMode: Record<Mode, ModeReport<C>>;
  /** per counter, the part that names no order */
  shared: Record<C, number>;
}

export function splitByMode<C extends string>(
  ctx: OracleContext,
  findings: [C, Finding][],
): PerModeReport<C> {
  const zero = () => Object.fromEntries(findings.map(([c]) => [c, 0])) as Record<C, number>;
  const perMode = Object.fromEntries(
    MODES.map((m) => [m, { counters: zero(), orders: 0, terminal: 0 }]),
  ) as Record<Mode, ModeReport<C>>;
  const shared = zero();
  for (const [c, f] of findings) {
    let named = 0;
    for (const [id, n] of f.byOrder ?? []) {
      perMode[modeOf(ctx, id)].counters[c] += n;
      named += n;
    }
    shared[c] += f.count - named;
  }
  for (const id of knownOrderIds(ctx)) {
    const m = perMode[modeOf(ctx, id)];
    m.orders += 1;
    if (standingOf(ctx, id) === 'terminal') m.terminal += 1;
  }
  return { perMode, shared };
}
