/**
 * The chaos suite in its short mode (what CI runs), on its own real stack (embedded Postgres, Temporal dev
 * server, carrier, four worker processes, API; nothing stubbed): a dozen orders while a worker is SIGKILLed,
 * the Temporal dev server is SIGKILLed and Postgres is restarted in immediate mode, each landing while sagas
 * run and each waited for until it recovered; a carrier outage until the shipping worker's circuit breaker
 * is seen open, then recovery until it is seen closed after a half-open trial; a contention burst for the
 * last units of a SKU; concurrent requests under one Idempotency-Key; a hostile battery. Every invariant is
 * checked by the oracle after each phase.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { COUNTERS, countersOf } from './invariants';
import { runChaos, SHORT, type ChaosSummary } from './suite';

const zeros = Object.fromEntries(COUNTERS.map((c) => [c, 0]));

describe('chaos suite (short mode, real stack)', { timeout: 17 * 60_000 }, () => {
  let s: ChaosSummary;
  const why = () => [...s.failures, ...s.faults, ...s.details.slice(0, 40)].join('\n');
  before(async () => {
    s = await runChaos({ ...SHORT, say: () => undefined });
  });

  it('the run is ok: no failure of any kind', () => {
    assert.deepEqual(s.failures, [], why());
    assert.equal(s.ok, true);
  });

  it('every invariant counter is 0 in every phase (faults, carrier, contention per saga mode, partition, final)', () => {
    assert.deepEqual(Object.keys(s.phases), [
      'faults',
      'carrier',
      'contention-orchestration',
      'contention-choreography',
      'partition',
      'final',
    ]);
    for (const [phase, r] of Object.entries(s.phases))
      assert.deepEqual(countersOf(r), zeros, `${phase}: ${JSON.stringify(r.projectionDetails)}\n${why()}`);
  });

  it('every submission was accepted, none given up, and every accepted order ended terminal', () => {
    assert.ok(s.submissions > 40, `${s.submissions} submissions`);
    assert.equal(s.ordersSubmitted, s.submissions);
    assert.equal(s.submitGaveUp, 0);
    assert.equal(s.terminal, s.ordersSubmitted);
    assert.equal(s.completed + s.failed + s.cancelled, s.ordersSubmitted);
    assert.ok(s.completed > 0 && s.failed > 0, JSON.stringify({ completed: s.completed, failed: s.failed }));
  });

  it('a worker kill, a Temporal restart and a Postgres restart each landed while sagas ran and recovered', () => {
    assert.equal(s.killsInjected, 1, why());
    assert.equal(s.temporalRestarts, 1, why());
    assert.equal(s.postgresRestarts, 1, why());
    assert.deepEqual(s.recovered, { workers: 1, temporal: 1, postgres: 1 }, why());
    assert.equal(s.faultsLandedMidRun, 6, why()); // with the three bus faults
    assert.ok(s.restarts >= 2, JSON.stringify(s.restartsByProcess)); // the killed worker and the dev server
  });

  it('a broker restart, the consumers kill and a relay kill each recovered; orders.events read independently holds each order event once, in order', () => {
    const one = { broker: 1, consumers: 1, relay: 1 };
    assert.deepEqual(s.bus.faults, { injected: one, recovered: one }, why());
    const r = s.bus.independentRead;
    assert.ok(r.events > 0, JSON.stringify(r));
    assert.deepEqual({ ...r, events: 0 }, { events: 0, duplicates: 0, outOfOrder: 0, missing: 0 });
  });

  it('the carrier outage drove the breaker open, half-open and closed again', () => {
    const b = s.breaker;
    assert.ok(b, why());
    assert.ok(b.opened >= 1 && b.halfOpened >= 1 && b.closed >= 1, JSON.stringify(b));
    assert.ok(b.openAfterMs >= 0 && b.closedAfterMs >= 0, JSON.stringify(b));
  });

  it('every coordination mode ran orders, and every counter is 0 for each', () => {
    for (const [mode, m] of Object.entries(s.perMode)) {
      assert.ok(m.orders > 0 && m.terminal === m.orders, `${mode}: ${JSON.stringify(m)}`);
      assert.deepEqual(countersOf(m), zeros, `${mode}\n${why()}`);
    }
  });

  it('contention in each saga mode: every order accepted, exactly the stock completed, the rest out of stock', () => {
    assert.deepEqual(
      s.contention?.map((c) => c.mode),
      ['orchestration', 'choreography'],
    );
    for (const c of s.contention ?? []) {
      assert.equal(c.accepted, c.orders);
      assert.equal(c.completed, c.stock, JSON.stringify(c));
      assert.equal(c.completed + c.outOfStock, c.accepted, JSON.stringify(c));
    }
  });

  it('3PC: atomicity violations in the partition scenario only, and nothing left in doubt', () => {
    assert.ok(s.threePcAtomicity.partitionScenario > 0, JSON.stringify(s.partition));
    assert.equal(s.threePcAtomicity.elsewhere, 0, why());
    assert.equal(s.inDoubtLeft, 0, why());
  });

  it('one Idempotency-Key gives one order and one workflow; the same key with another body is 422', () => {
    assert.deepEqual(
      { ...s.idempotency, statuses: undefined, concurrent: undefined },
      {
        distinctOrders: 1,
        mismatchStatus: 422,
        workflows: 1,
        orderStreams: 1,
        statuses: undefined,
        concurrent: undefined,
      },
    );
  });

  it('every hostile request is answered 4xx and writes nothing', () => {
    assert.ok(s.hostileRequests > 50);
    assert.equal(s.hostile5xx, 0, why());
    assert.equal(s.hostileNon4xx, 0, why());
    assert.equal(s.hostileWrites, 0, why());
  });
});
