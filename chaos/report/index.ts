/**
 * The chaos run's report: the summary as JSON on stdout and in chaos/results (latest.json, or
 * latest-short.json for the short mode), formatted as prettier formats it so `prettier --check .` stays
 * clean with results present, and one verdict line on stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import { format } from 'prettier';
import type { ChaosSummary } from './summary';

export { failuresOf, summarize, type ChaosSummary } from './summary';
export { outcomesOf } from './outcomes';

export const RESULTS_DIR = path.join(__dirname, '..', 'results');

/** Where a run of this mode writes its summary and its children's log lines. */
export function resultFiles(short: boolean, cluster = false): { json: string; log: string } {
  const name = `latest${cluster ? '-cluster' : ''}${short ? '-short' : ''}`;
  return { json: path.join(RESULTS_DIR, `${name}.json`), log: path.join(RESULTS_DIR, `${name}.log`) };
}

export async function writeReport(summary: ChaosSummary, file: string): Promise<void> {
  const text = JSON.stringify(summary, null, 2);
  const formatted = await format(text, { parser: 'json' }).catch(() => text + '\n');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, formatted);
  console.log(text);
  console.error(
    summary.ok
      ? '[chaos] every invariant holds'
      : `[chaos] INVARIANTS BROKEN: ${summary.failures.join('; ')}`,
  );
}
