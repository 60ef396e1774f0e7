/** The committed budget of a happy order (bench/budget.json), read by its test and by the bench. */
import fs from 'node:fs';
import path from 'node:path';

export interface HistoryBudget {
  historyEvents: number;
  workflowTasks: number;
}

export const BUDGET_FILE = path.join(__dirname, '..', 'budget.json');

export function readBudget(): { happyOrder: HistoryBudget; target: HistoryBudget } {
  const raw = JSON.parse(fs.readFileSync(BUDGET_FILE, 'utf8')) as {
    happyOrder?: Partial<HistoryBudget>;
    target?: Partial<HistoryBudget>;
  };
  const check = (b: Partial<HistoryBudget> | undefined, key: string): HistoryBudget => {
    const ok = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;
    if (!b || !ok(b.historyEvents) || !ok(b.workflowTasks)) {
      throw new Error(`${BUDGET_FILE}: ${key} needs positive integers historyEvents and workflowTasks`);
    }
    return { historyEvents: b.historyEvents, workflowTasks: b.workflowTasks };
  };
  return { happyOrder: check(raw.happyOrder, 'happyOrder'), target: check(raw.target, 'target') };
}
