/**
 * `check(phase)`, what every scenario calls after its load: waits until no saga runs, every outbox row is
 * delivered and every bus consumer caught up (all bounded), reads the event topics with an independent
 * Kafka client, asks the services for stock and balances as a client would, runs every
 * invariant of the oracle, and records the phase.
 */
import type { Pool } from 'pg';
import { checkInvariants, countersOf, type InvariantReport } from '../invariants';
import { SKUS, type ScenarioContext } from '../scenarios/context';
import { readEventTopics, waitForConsumers } from './bus-settle';
import { NO_ANSWER, sleep, type ApiClient } from './http';
import {
  countCompensationBlocked,
  waitForNoRunning,
  waitForOutboxDrained,
  waitForSettled,
  workflowStatuses,
} from './settle';

/** A GET through the API as a client would ask it: retried a few times on no answer or a 5xx. */
async function answer<T>(api: ApiClient, token: string, p: string): Promise<T | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await api.request('GET', p, { token });
    if (r.status === 200) return r.json as T;
    if (r.status !== NO_ANSWER && r.status < 500) return undefined;
    await sleep(500 * 2 ** attempt); // client backoff
  }
  return undefined;
}

/** What the services answer for every SKU's stock and every customer's balance. */
async function serviceAnswers(c: Omit<ScenarioContext, 'check'>) {
  const serviceStock = new Map<string, { available: number; reserved: number } | undefined>();
  for (const s of Object.values(SKUS))
    serviceStock.set(s.sku, await answer(c.api, c.admin, `/inventory/${s.sku}`));
  const serviceBalances = new Map<string, number | undefined>();
  for (const p of [...c.people.rich, c.people.poor, c.people.idem])
    serviceBalances.set(
      p.id,
      (await answer<{ balance: number }>(c.api, c.admin, `/accounts/${p.id}`))?.balance,
    );
  return { serviceStock, serviceBalances };
}

export function checker(c: Omit<ScenarioContext, 'check'>, pool: Pool): ScenarioContext['check'] {
  return async (name: string, phaseStarted: number): Promise<InvariantReport> => {
    c.say(`${name}: waiting for every saga to finish (at most ${c.opts.settleTimeoutMs / 1000}s)...`);
    const running = await waitForNoRunning(c.temporal, c.opts.settleTimeoutMs, (n) =>
      c.say(`${name}: ${n} sagas running`),
    );
    if (running > 0) c.say(`${name}: ${running} sagas still running after the bound`);
    const choreographed = [...c.orders.modes].filter(([, m]) => m === 'choreography').map(([id]) => id);
    const open = await waitForSettled(pool, choreographed, c.opts.settleTimeoutMs, (n) =>
      c.say(`${name}: ${n} choreographed orders not settled`),
    );
    if (open !== 0) c.say(`${name}: ${open} choreographed orders not settled after the bound`);
    const undelivered = await waitForOutboxDrained(pool, 60_000);
    if (undelivered !== 0) c.say(`${name}: outbox not drained after 60 s (${undelivered})`);
    const unconsumed = await waitForConsumers(pool, 120_000);
    if (unconsumed !== 0) c.say(`${name}: bus consumers not caught up after 120 s (${unconsumed})`);
    const bus = await readEventTopics(c.stack.kafkaBrokers);
    const { serviceStock, serviceBalances } = await serviceAnswers(c);
    const report = await checkInvariants(pool, {
      ...(await workflowStatuses(c.temporal)),
      modes: c.orders.modes,
      compensationBlocked: await countCompensationBlocked(c.temporal),
      submitted: c.orders.submitted,
      keys: c.orders.keys,
      serviceStock,
      serviceBalances,
      bus,
    });
    const { details, ...rest } = report;
    c.rec.phases[name] = { ...rest, seconds: Math.round((Date.now() - phaseStarted) / 1000) };
    for (const d of details) c.rec.details.push(`${name}: ${d}`);
    const broken = Object.entries(countersOf(report)).filter(([, v]) => v > 0);
    c.say(
      `${name}: ${report.terminal}/${report.orders} terminal; ${broken.length ? broken.map(([k, v]) => `${k} ${v}`).join(', ') : 'every counter 0'}`,
    );
    return report;
  };
}
