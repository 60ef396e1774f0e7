/**
 * The chaos suite in its short mode, on its own real stack (embedded Postgres, Temporal dev server,
 * carrier, four workers, API): a handful of orders with one worker SIGKILLed, a small contention burst,
 * concurrent requests under one Idempotency-Key, and a hostile battery against every endpoint; then every
 * invariant checked from Postgres and Temporal. Each invariant is its own assertion so a failure names it.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runChaos, SHORT, type ChaosSummary } from './suite';

describe('chaos suite (short mode)', { timeout: 6 * 60_000 }, () => {
  let s: ChaosSummary;
  before(async () => {
    s = await runChaos({ ...SHORT, say: () => undefined });
  });

  it('injected a worker kill and the supervisor restarted it', () => {
    assert.ok(s.killsInjected >= 1, JSON.stringify(s.faults));
    assert.ok(s.restarts >= 1, JSON.stringify(s.restartsByProcess));
  });

  it('every accepted order reached a terminal state in its log and in Temporal', () => {
    assert.ok(s.ordersSubmitted > 0);
    assert.equal(s.stuck, 0, s.details.join('\n'));
    assert.equal(s.unrecorded, 0, s.details.join('\n'));
    assert.equal(s.terminal, s.ordersSubmitted);
  });

  it('no customer was charged twice and each net charge is 0 or the order total', () => {
    assert.equal(s.doubleCharges, 0, s.details.join('\n'));
    assert.equal(s.netChargeMismatches, 0, s.details.join('\n'));
  });

  it('money and stock are conserved and stock never went negative or oversold', () => {
    assert.equal(s.moneyDrift, 0, s.details.join('\n'));
    assert.equal(s.stockDrift, 0, s.details.join('\n'));
    assert.equal(s.oversold, 0, s.details.join('\n'));
    assert.equal(s.negativeStock, 0, s.details.join('\n'));
    assert.equal(s.reservationMismatches, 0, s.details.join('\n'));
    assert.equal(s.shipmentMismatches, 0, s.details.join('\n'));
    assert.ok(s.contention.completed <= s.contention.stock, JSON.stringify(s.contention));
  });

  it('streams have no version gaps, every outbox row was delivered, read models equal a rebuild', () => {
    assert.equal(s.streamGaps, 0, s.details.join('\n'));
    assert.equal(s.undelivered, 0);
    assert.equal(s.projectionMismatches, 0, JSON.stringify(s.phases.final?.projectionDetails));
  });

  it('one Idempotency-Key gives one order and one workflow; the same key with another body is 422', () => {
    assert.equal(s.idempotencyViolations, 0, s.details.join('\n'));
    assert.equal(s.idempotency.distinctOrders, 1);
    assert.equal(s.idempotency.workflows, 1);
    assert.equal(s.idempotency.orderStreams, 1);
    assert.equal(s.idempotency.mismatchStatus, 422);
  });

  it('every hostile request is answered 4xx and writes nothing', () => {
    assert.ok(s.hostileRequests > 50);
    const hostile = s.details.filter((d) => d.startsWith('hostile')).join('\n');
    assert.equal(s.hostile5xx, 0, hostile);
    assert.equal(s.hostileNon4xx, 0, hostile);
    assert.equal(s.hostileWrites, 0, hostile);
  });
});
