/**
 * The coordinator dies between prepare and commit: its worker process (`src/workers/orders.ts`, the
 * coordinator's workflows and the orders participant) is SIGKILLed while every participant is prepared and
 * the decision is not yet durable (writes to coordination.decisions are held for that moment; the dead
 * worker's held write is dropped). Meanwhile another order reserves the same SKU. 2PC: it waits on the
 * prepared reservation's lock until the coordinator is back and has committed. 3PC: the participants decide
 * by their timeout without the coordinator, and it goes on. Real Temporal, Postgres and carrier; the orders
 * worker is a child process, inventory, payments and shipping run in this process; nothing stubbed.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { sweepInDoubt } from '../../src/coordination/recovery';
import type { AtomicCommitMode } from '../../src/domain/coordination';
import { fresh, seed, startSagaStack, stockOf, within, type SagaStack } from '../saga/harness';
import { eventually } from '../support/eventually';
import {
  atomicInput,
  atomicityViolations,
  decisionOf,
  holdDecisions,
  inDoubt,
  lockWaiters,
  participantOutcomes,
  startAtomic,
  startOrdersWorkerProcess,
} from './support';

const SWEEP_MS = 300;

describe('the coordinator SIGKILLed between prepare and commit (orders worker as a child process)', () => {
  let stack: SagaStack;
  let worker: ReturnType<typeof startOrdersWorkerProcess> | undefined;
  before(async () => {
    stack = await startSagaStack({
      inProcess: ['inventory', 'payments', 'shipping'],
      workers: { recovery: { intervalMs: SWEEP_MS, presumeAbortAfterMs: 600_000 } },
    });
  });
  afterEach(async () => {
    assert.deepEqual(await inDoubt(stack), [], 'no prepared transaction is left behind');
  });
  after(async () => {
    await worker?.kill();
    await stack?.stop();
  });

  const startWorker = async () => {
    await worker?.kill(); // one coordinator process at a time: a live one would take over the killed one's work
    worker = startOrdersWorkerProcess(stack, { COORDINATION_RECOVERY_INTERVAL_MS: String(SWEEP_MS) });
    await worker.healthy();
  };

  /** starts the order and kills the coordinator's worker once all three voted and the decision is held */
  async function killBeforeDecision(
    mode: AtomicCommitMode,
    s: { sku: string; customerId: string; price: number },
  ) {
    const input = atomicInput(mode, s, {
      quantity: 2,
      tuning: { attemptTimeoutMs: 3_000, ...(mode === '3pc' ? { threePcTimeoutMs: 8_000 } : {}) },
    });
    const hold = await holdDecisions(stack);
    try {
      const handle = await startAtomic(stack, input);
      await eventually(
        async () => {
          const prepared = (await inDoubt(stack)).filter((g) => g.includes(input.order.orderId));
          assert.equal(prepared.length, 3, 'all three participants prepared');
          assert.ok((await hold.waiters()) >= 1, 'the coordinator is recording its decision');
        },
        { what: 'the coordinator at its decision' },
      );
      await worker!.kill();
      assert.equal(await hold.dropWaiting(), 1, "the dead coordinator's decision write is dropped");
      return { input, handle };
    } finally {
      await hold.release();
    }
  }

  /** another order's reservation of the same SKU (the inventory service's reserve, as its saga step runs it) */
  function reserveSameSku(sku: string) {
    const startedAt = Date.now();
    const other = { startedAt, settledAt: undefined as number | undefined, done: Promise.resolve() };
    other.done = stack.services.inventory
      .reserve({ orderId: fresh('other'), lines: [{ sku, quantity: 2 }] })
      .then(() => void (other.settledAt = Date.now()));
    return other;
  }

  it('2pc: the other order waits on the held locks until the coordinator is back; then all commit and both stand', async (t) => {
    await startWorker();
    const s = await seed(stack, { stock: 5, balance: 10_000 });
    const { input, handle } = await killBeforeDecision('2pc', s);
    const other = reserveSameSku(s.sku);
    await eventually(async () => assert.ok((await lockWaiters(stack)) >= 1), {
      what: 'the other order to wait on the prepared reservation',
    });
    // the participants cannot help: without a decision a sweep leaves the transaction in doubt
    const swept = await sweepInDoubt(stack.pool, { participant: 'inventory', presumeAbortAfterMs: 600_000 });
    assert.deepEqual(swept.resolved, []);
    assert.ok(swept.count >= 1);
    assert.equal(await decisionOf(stack, input.order.orderId), undefined);
    assert.equal(other.settledAt, undefined, 'the other order still waits while the coordinator is down');

    const resumedAt = Date.now();
    await startWorker();
    const result = await within(handle.result(), 120_000, () => 'the coordinator to finish after restart');
    await other.done;
    assert.equal(result.status, 'COMPLETED');
    assert.equal(result.apply.decision, 'commit');
    assert.equal(await decisionOf(stack, input.order.orderId), 'commit');
    assert.ok(other.settledAt! >= resumedAt, 'the other order went on only after the coordinator came back');
    assert.deepEqual(await stockOf(stack, s.sku), { available: 1, reserved: 2, shipped: 2 });
    t.diagnostic(
      `2pc: the other order waited ${other.settledAt! - other.startedAt} ms on the locks; the worker was ` +
        `restarted ${resumedAt - other.startedAt} ms into the wait, the rest is its start and the retry of ` +
        'the lost decision step (attempt timeout 3 s)',
    );
  });

  it('3pc: the participants decide by timeout without the coordinator; the other order goes on before it is back, and the outcome agrees', async (t) => {
    await startWorker();
    const s = await seed(stack, { stock: 5, balance: 10_000 });
    const { input, handle } = await killBeforeDecision('3pc', s);
    const { orderId } = input.order;
    const other = reserveSameSku(s.sku);
    await within(other.done, 60_000, () => 'the other order to go on after the timeout rule');
    // the coordinator is still down: the participants in live processes committed by their timeout rule
    assert.equal(worker!.child.signalCode, 'SIGKILL');
    assert.deepEqual((await participantOutcomes(stack, orderId)).inventory, {
      outcome: 'commit',
      by: 'timeout',
    });
    // payments sweeps on its own timer: its timeout rule comes as soon, not at the same moment
    await eventually(
      async () =>
        assert.deepEqual((await participantOutcomes(stack, orderId)).payments, {
          outcome: 'commit',
          by: 'timeout',
        }),
      { what: 'payments to commit by its timeout rule' },
    );
    assert.equal(await decisionOf(stack, orderId), undefined, 'no coordinator decided');
    t.diagnostic(`3pc: the other order waited ${other.settledAt! - other.startedAt} ms (timeout 8000 ms)`);

    // the orders participant lives in the killed process: its own sweep decides when it starts again
    await startWorker();
    const result = await within(handle.result(), 120_000, () => 'the coordinator to finish after restart');
    assert.equal(result.status, 'COMPLETED');
    assert.equal(await decisionOf(stack, orderId), 'commit');
    assert.equal((await participantOutcomes(stack, orderId)).orders?.outcome, 'commit');
    assert.deepEqual(await atomicityViolations(stack, orderId), []);
    assert.deepEqual(await stockOf(stack, s.sku), { available: 1, reserved: 2, shipped: 2 });
  });
});
