#!/usr/bin/env node
// Reads Stryker's JSON report (reports/mutation/mutation.json) and prints the mutation score of each mutated
// file and of each target (src/domain as a whole, saga-state.ts, compensations.ts); exits 1 when a target
// is under the bar or has no mutants. Score = (killed + timed out) / (killed + timed out + survived + no
// coverage), as Stryker counts it; ignored mutants and compile or runtime errors are not counted.
// Usage: node scripts/mutation-score.js [report.json]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const BAR = 80;
const TARGETS = ['src/domain/', 'src/workflows/saga-state.ts', 'src/workflows/compensations.ts'];
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const file = process.argv[2] ?? path.resolve(__dirname, '..', 'reports', 'mutation', 'mutation.json');
const report = JSON.parse(fs.readFileSync(file, 'utf8'));

function tally(mutants) {
  const t = { detected: 0, undetected: 0, survived: 0, noCoverage: 0 };
  for (const m of mutants) {
    if (DETECTED.has(m.status)) t.detected++;
    if (UNDETECTED.has(m.status)) t.undetected++;
    if (m.status === 'Survived') t.survived++;
    if (m.status === 'NoCoverage') t.noCoverage++;
  }
  const valid = t.detected + t.undetected;
  return { ...t, valid, score: valid === 0 ? NaN : (100 * t.detected) / valid };
}

const line = (name, t) =>
  `${name.padEnd(44)} ${t.score.toFixed(2).padStart(6)} %  ${String(t.detected).padStart(4)} / ${String(t.valid).padStart(4)}` +
  `  (survived ${t.survived}, no coverage ${t.noCoverage})`;

const entries = Object.entries(report.files).map(([name, f]) => [name.replaceAll('\\', '/'), f.mutants]);
console.log('mutation score per file');
for (const [name, mutants] of entries.sort(([a], [b]) => a.localeCompare(b))) {
  const t = tally(mutants);
  if (t.valid > 0) console.log(line(name, t));
}
console.log(`\nmutation score per target (bar ${BAR} %)`);
let ok = true;
for (const target of TARGETS) {
  const t = tally(entries.filter(([name]) => name.startsWith(target)).flatMap(([, mutants]) => mutants));
  const pass = t.valid > 0 && t.score >= BAR;
  ok &&= pass;
  console.log(`${line(target, t)}  ${pass ? 'ok' : 'UNDER THE BAR'}`);
}
process.exit(ok ? 0 : 1);
