import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { OrderStatusKey } from '../../src/workflows/search-attributes';
import { cancelOrderUpdate, retryCompensationSignal, sagaStateQuery } from '../../src/workflows/contracts';
import { eventually } from '../support/eventually';
import {
  TEST_TUNING,
  UNDO_ACTIVITIES,
  balanceOf,
  holdWrites,
  orderInput,
  scheduledActivities,
  seed,
  startSaga,
  startSagaStack,
  stockOf,
  statesOf,
  within,
  type SagaStack,
} from './harness';

const undosOf = (types: string[]) => types.filter((t) => UNDO_ACTIVITIES.includes(t));

describe('order saga outcomes (real Temporal + Postgres + carrier, workers in-process)', () => {
  let stack: SagaStack;
  before(async () => {
    stack = await startSagaStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('happy path: the order completes, stock leaves with the shipment, the customer pays once', async () => {
    const s = await seed(stack, { stock: 5, balance: 10_000 });
    const input = orderInput(s, { quantity: 2 });
    const handle = await startSaga(stack, input);
    const result = await handle.result();

    assert.equal(result.status, 'COMPLETED');
    assert.match(result.trackingNumber ?? '', /^TRK-/);
    assert.deepEqual(result.compensationsRun, []);
    assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 2 });
    assert.equal(await balanceOf(stack, s.customerId), 10_000 - 2 * s.price);
    const shipment = await stack.services.shipping.getShipment(input.orderId);
    assert.equal(shipment?.status, 'DISPATCHED');
    assert.equal((await stack.services.orders.getOrder(input.orderId))?.status, 'COMPLETED');

    const view = await handle.query(sagaStateQuery);
    assert.equal(view.state, 'COMPLETED');
    assert.deepEqual(view.completedSteps, [
      'placeOrder',
      'validateDestination',
      'reserveStock',
      'chargePayment',
      'createShipment',
      'completeOrder',
    ]);
    const d = await handle.describe();
    assert.equal(d.typedSearchAttributes.get(OrderStatusKey), 'COMPLETED');
    assert.equal(await d.staticSummary(), `Order ${input.orderId} · customer ${s.customerId} · $25.00`);
    assert.deepEqual(undosOf(await scheduledActivities(handle)), []);
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      // activities when scheduled, the orders service's local activities on their markers
      .filter(
        (e) =>
          e.activityTaskScheduledEventAttributes ||
          e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      )
      .map((e) => Buffer.from(e.userMetadata?.summary?.data ?? new Uint8Array()).toString('utf8'));
    assert.equal(summaries.length, 9, 'nine calls');
    assert.ok(
      summaries.every((x) => x.length > 2),
      'every activity has a summary',
    );
    assert.ok(
      summaries.some((x) => x.includes(`Place order ${input.orderId}`)),
      'local ones too',
    );
    assert.ok(summaries.some((x) => x.includes(`Charge $25.00 to ${s.customerId}`)));
  });

  it('when stock runs out, nothing is charged and the order fails with InsufficientStock', async () => {
    const s = await seed(stack, { stock: 1, balance: 10_000 });
    const input = orderInput(s, { quantity: 2 });
    const handle = await startSaga(stack, input);
    const result = await handle.result();

    assert.equal(result.status, 'FAILED');
    assert.equal(result.failure?.type, 'InsufficientStock');
    assert.equal(result.failure?.step, 'reserveStock');
    assert.deepEqual(undosOf(await scheduledActivities(handle)), ['releaseStock', 'rejectOrder']);
    assert.deepEqual(await stockOf(stack, s.sku), { available: 1, reserved: 0, shipped: 0 });
    assert.equal(await balanceOf(stack, s.customerId), 10_000);
    assert.equal(await stack.services.shipping.getShipment(input.orderId), undefined);
    const order = await stack.services.orders.getOrder(input.orderId);
    assert.equal(order?.status, 'FAILED');
    assert.equal((await handle.describe()).typedSearchAttributes.get(OrderStatusKey), 'FAILED');
  });

  it('when funds are short, the reserved stock is released and the order fails with InsufficientFunds', async () => {
    const s = await seed(stack, { stock: 3, balance: 100 });
    const input = orderInput(s);
    const handle = await startSaga(stack, input);
    const result = await handle.result();

    assert.equal(result.status, 'FAILED');
    assert.equal(result.failure?.type, 'InsufficientFunds');
    assert.deepEqual(undosOf(await scheduledActivities(handle)), [
      'refundPayment',
      'releaseStock',
      'rejectOrder',
    ]);
    assert.deepEqual(result.compensationsRun, ['refundPayment', 'releaseStock', 'rejectOrder']);
    assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
    assert.equal(await balanceOf(stack, s.customerId), 100);
    assert.equal((await stack.services.orders.getOrder(input.orderId))?.status, 'FAILED');
  });

  it('an unsupported destination fails the order before any stock or money moves', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    const input = orderInput(s, { country: 'ZZ' });
    const handle = await startSaga(stack, input);
    const result = await handle.result();

    assert.equal(result.status, 'FAILED');
    assert.equal(result.failure?.type, 'UnsupportedCountry');
    assert.deepEqual(undosOf(await scheduledActivities(handle)), ['rejectOrder']);
    assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
    assert.equal(await balanceOf(stack, s.customerId), 10_000);
    assert.equal(await stack.services.shipping.getShipment(input.orderId), undefined);
    assert.equal((await stack.services.orders.getOrder(input.orderId))?.status, 'FAILED');
  });

  it('when the carrier is down longer than the retry budget, everything is undone newest-first (CarrierUnavailable)', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    stack.carrier.behaviour.failureRate = 1;
    try {
      // the carrier refuses every call, so no booking can land: a short budget is safe here
      const handle = await startSaga(
        stack,
        orderInput(s, { tuning: { ...TEST_TUNING, shipmentBudgetMs: 4000 } }),
      );
      const result = await handle.result();
      assert.equal(result.status, 'FAILED');
      assert.equal(result.failure?.type, 'CarrierUnavailable');
      assert.equal(result.failure?.step, 'createShipment');
      assert.deepEqual(undosOf(await scheduledActivities(handle)), [
        'cancelShipment',
        'refundPayment',
        'releaseStock',
        'rejectOrder',
      ]);
      assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000);
      const shipment = await stack.services.shipping.getShipment(result.orderId);
      assert.ok(shipment === undefined || shipment.status === 'CANCELLED', shipment?.status);
    } finally {
      stack.carrier.behaviour.failureRate = 0;
    }
    // let the breaker half-open and close again before the next test
    await waitForBreakerToClose(stack);
  });

  it('cancelling inside the window compensates and ends CANCELLED', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    const input = orderInput(s, { cancellationWindowMs: 60_000 });
    const handle = await startSaga(stack, input);
    await eventually(async () =>
      assert.equal((await handle.query(sagaStateQuery)).state, 'PAYMENT_COMPLETED'),
    );
    const answer = await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed my mind' }] });
    assert.equal(answer.status, 'CANCELLED');
    const result = await handle.result();
    assert.equal(result.status, 'CANCELLED');
    assert.equal(result.failure?.type, 'Cancelled');
    assert.deepEqual(undosOf(await scheduledActivities(handle)), [
      'refundPayment',
      'releaseStock',
      'rejectOrder',
    ]);
    assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
    assert.equal(await balanceOf(stack, s.customerId), 10_000);
    assert.equal((await stack.services.orders.getOrder(input.orderId))?.status, 'CANCELLED');
    assert.equal((await handle.describe()).typedSearchAttributes.get(OrderStatusKey), 'CANCELLED');
  });

  it('cancelling the workflow through Temporal inside the window compensates the same way', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    const input = orderInput(s, { cancellationWindowMs: 60_000 });
    const handle = await startSaga(stack, input);
    await eventually(async () =>
      assert.equal((await handle.query(sagaStateQuery)).state, 'PAYMENT_COMPLETED'),
    );
    await handle.cancel();
    const result = await handle.result();
    assert.equal(result.status, 'CANCELLED');
    assert.deepEqual(undosOf(await scheduledActivities(handle)), [
      'refundPayment',
      'releaseStock',
      'rejectOrder',
    ]);
    assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
    assert.equal(await balanceOf(stack, s.customerId), 10_000);
    assert.equal((await stack.services.orders.getOrder(input.orderId))?.status, 'CANCELLED');
  });

  it('cancelling after shipping is rejected and the order stays completed', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    const handle = await startSaga(stack, orderInput(s));
    assert.equal((await handle.result()).status, 'COMPLETED');
    // the workflow has closed, so its validator cannot run: the server refuses the update
    await assert.rejects(
      handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'too late' }] }),
      (err: unknown) =>
        err instanceof Error &&
        err instanceof WorkflowNotFoundError &&
        /workflow execution already completed/.test(err.message),
    );
    assert.equal((await handle.query(sagaStateQuery)).state, 'COMPLETED');
  });

  it('a running order that has started shipping rejects cancellation by validator (held by a lock on shipping.events)', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    // the barrier: the shipment step's first write waits until the test lets it go
    const hold = await holdWrites(stack.pool, 'shipping.events');
    try {
      const input = orderInput(s);
      const handle = await startSaga(stack, input);
      await eventually(async () => {
        assert.ok((await hold.waiters()) >= 1, 'the shipment step is writing');
        assert.equal((await handle.query(sagaStateQuery)).state, 'AWAITING_SHIPMENT');
      });
      await assert.rejects(
        handle.executeUpdate(cancelOrderUpdate, { args: [{}] }),
        (err: unknown) =>
          err instanceof WorkflowUpdateFailedError &&
          /no longer be cancelled/.test(String(err.cause)) &&
          err.cause?.message ===
            `Order ${input.orderId} can no longer be cancelled (state AWAITING_SHIPMENT)`,
      );
      await hold.release();
      assert.equal((await handle.result()).status, 'COMPLETED');
      assert.deepEqual(undosOf(await scheduledActivities(handle)), []);
    } finally {
      await hold.release();
    }
  });

  it('40 concurrent single-unit orders for 10 in stock: exactly 10 complete, 30 fail, stock 0, money back', async () => {
    const s = await seed(stack, { stock: 10, balance: 0 });
    const customers: string[] = [];
    for (let i = 0; i < 40; i++) {
      const c = `${s.customerId}-${i}`;
      await stack.services.payments.deposit({ customerId: c, amount: 5_000, depositId: `${c}-dep` });
      customers.push(c);
    }
    const handles = await Promise.all(
      customers.map((customerId) => startSaga(stack, orderInput({ ...s, customerId }))),
    );
    const results = await within(Promise.all(handles.map((h) => h.result())), 240_000, () =>
      statesOf(handles),
    );
    const completed = results.filter((r) => r.status === 'COMPLETED');
    const failed = results.filter((r) => r.status === 'FAILED');
    assert.equal(completed.length, 10);
    assert.equal(failed.length, 30);
    assert.ok(failed.every((r) => r.failure?.type === 'InsufficientStock'));
    assert.deepEqual(await stockOf(stack, s.sku), { available: 0, reserved: 0, shipped: 10 });
    const balances = await Promise.all(customers.map((c) => balanceOf(stack, c)));
    assert.ok(balances.every((b) => b === 5_000 || b === 5_000 - s.price));
    assert.equal(
      balances.reduce((a, b) => a + b, 0),
      40 * 5_000 - 10 * s.price,
    );
  });

  it('an undo that cannot finish parks the saga in COMPENSATION_BLOCKED until retryCompensation resumes it', async () => {
    const s = await seed(stack, { stock: 3, balance: 10_000 });
    // the payments store is broken: the charge exhausts its retries, and so does the refund
    await stack.pool.query('ALTER TABLE payments.events RENAME TO events_unavailable');
    let restored = false;
    const restore = async () => {
      if (!restored) await stack.pool.query('ALTER TABLE payments.events_unavailable RENAME TO events');
      restored = true;
    };
    try {
      const handle = await startSaga(
        stack,
        orderInput(s, { tuning: { ...TEST_TUNING, forwardMaxAttempts: 2 } }),
      );
      const view = await eventually(async () => {
        const v = await handle.query(sagaStateQuery);
        assert.equal(v.state, 'COMPENSATION_BLOCKED');
        return v;
      });
      assert.equal(view.state, 'COMPENSATION_BLOCKED');
      assert.equal(view.status, 'COMPENSATION_BLOCKED');
      assert.equal(view.blocked?.compensation, 'refundPayment');
      assert.match(view.blocked?.error ?? '', /events/);
      assert.equal(view.failure?.step, 'chargePayment');
      assert.equal(
        (await handle.describe()).typedSearchAttributes.get(OrderStatusKey),
        'COMPENSATION_BLOCKED',
      );

      await restore();
      await handle.signal(retryCompensationSignal);
      const result = await handle.result();
      assert.equal(result.status, 'FAILED');
      assert.deepEqual(result.compensationsRun, ['refundPayment', 'releaseStock', 'rejectOrder']);
      assert.deepEqual(await stockOf(stack, s.sku), { available: 3, reserved: 0, shipped: 0 });
      assert.equal(await balanceOf(stack, s.customerId), 10_000);
    } finally {
      await restore();
    }
  });

  it('records saga metrics through the workflow sink: outcomes by step and type, compensations, durations', async () => {
    const read = async () => {
      const text = await stack.registry.metrics();
      const sum = (re: RegExp) => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
      return {
        started: sum(/^saga_started_total\{[^}]*\} (\d+)/gm),
        completed: sum(/^saga_completed_total\{[^}]*\} (\d+)/gm),
        noFunds: sum(
          /^saga_failed_total\{[^}]*step="chargePayment"[^}]*error_type="InsufficientFunds"[^}]*\} (\d+)/gm,
        ),
        refunds: sum(/^saga_compensations_total\{[^}]*compensation="refundPayment"[^}]*\} (\d+)/gm),
        completedDurations: sum(/^saga_duration_seconds_count\{[^}]*outcome="completed"[^}]*\} (\d+)/gm),
        windows: sum(/^saga_cancellation_window_seconds_count\{[^}]*cancelled="false"[^}]*\} (\d+)/gm),
      };
    };
    const before = await read();
    const rich = await seed(stack, { stock: 3, balance: 10_000 });
    const poor = await seed(stack, { stock: 3, balance: 10 });
    const ok = await startSaga(stack, orderInput(rich, { cancellationWindowMs: 50 }));
    const bad = await startSaga(stack, orderInput(poor));
    assert.equal((await ok.result()).status, 'COMPLETED');
    assert.equal((await bad.result()).status, 'FAILED');
    const after = await read();
    assert.deepEqual(
      {
        started: after.started - before.started,
        completed: after.completed - before.completed,
        noFunds: after.noFunds - before.noFunds,
        refunds: after.refunds - before.refunds,
        completedDurations: after.completedDurations - before.completedDurations,
        windows: after.windows - before.windows,
      },
      { started: 2, completed: 1, noFunds: 1, refunds: 1, completedDurations: 1, windows: 1 },
    );
  });
});

async function waitForBreakerToClose(stack: SagaStack): Promise<void> {
  // a successful trial call after halfOpenAfter closes it; drive one through a throwaway booking
  let probe = 0;
  await eventually(
    async () => {
      if (stack.carrierClient.state !== 'closed') {
        await stack.carrierClient
          .book({ key: `probe-${probe++}`, orderId: 'probe', country: 'GB', postalCode: 'X', parcels: 1 })
          .catch(() => undefined);
      }
      assert.equal(stack.carrierClient.state, 'closed');
    },
    { intervalMs: 100, what: 'the carrier breaker closed again' },
  );
}
