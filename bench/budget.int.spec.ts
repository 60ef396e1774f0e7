/**
 * The history budget of a happy order: one order (cancellation window 0) on the saga test harness (a real
 * Temporal dev server, Postgres, carrier, the four service workers in this process), its history counted
 * (bench/lib/history-costs.ts) and compared with bench/budget.json. It fails when the saga's history grows
 * beyond the committed budget; the message gives the figures and how to change the budget on purpose.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orderInput, seed, startSaga, startSagaStack, type SagaStack } from '../test/saga/harness';
import { BUDGET_FILE, readBudget } from './lib/budget';
import { historyCosts } from './lib/history-costs';

describe('history budget of a happy order (real Temporal + Postgres + carrier, workers in-process)', () => {
  let stack: SagaStack;
  before(async () => {
    stack = await startSagaStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('a happy order takes no more history events and workflow tasks than bench/budget.json allows', async (t) => {
    const { happyOrder: budget, target } = readBudget();
    const s = await seed(stack, { stock: 5, balance: 10_000 });
    const handle = await startSaga(stack, orderInput(s, { cancellationWindowMs: 0 }));
    const result = await handle.result();
    assert.equal(result.status, 'COMPLETED', `the order did not complete: ${JSON.stringify(result)}`);
    const c = historyCosts(await handle.fetchHistory());
    const figures =
      `${c.historyEvents} history events, ${c.workflowTasks} workflow tasks (${c.activityTasks} activity tasks, ` +
      `${c.localActivities} local activities, ${c.historyBytes} bytes; by type ${JSON.stringify(c.byType)})`;
    t.diagnostic(`happy order: ${figures}`);
    t.diagnostic(
      `budget ${budget.historyEvents} events / ${budget.workflowTasks} workflow tasks; target ${target.historyEvents} / ${target.workflowTasks}`,
    );
    const over = c.historyEvents > budget.historyEvents || c.workflowTasks > budget.workflowTasks;
    assert.ok(
      !over,
      `A happy order now takes ${figures}, over the budget of ${budget.historyEvents} history events and ` +
        `${budget.workflowTasks} workflow tasks (${BUDGET_FILE}). Every event is server work and every workflow ` +
        `task a round trip of the saga's worker, per order. If the growth is intended, set happyOrder in ` +
        `bench/budget.json to ${c.historyEvents} / ${c.workflowTasks} in the commit that causes it and say why ` +
        `in its message; otherwise find the step that added them (the counts by type above).`,
    );
    if (c.historyEvents < budget.historyEvents || c.workflowTasks < budget.workflowTasks) {
      t.diagnostic(
        `below the budget: lower happyOrder in bench/budget.json to ${c.historyEvents} / ${c.workflowTasks} to keep the gain`,
      );
    }
  });
});
