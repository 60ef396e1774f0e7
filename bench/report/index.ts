/**
 * The report, apart from the measurements: latest.json (a header, then every section's results, the known
 * ones in a fixed order), latest.svg (bench/report/chart.ts) and the table on stdout (bench/report/table.ts),
 * then the paths of every file the run wrote.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchSetup } from '../lib/context';
import type { ClusterPoint } from '../sections/cluster';
import { round } from '../lib/stats';
import { chartOf } from './chart';
import { need, RESULT_ORDER, type KnownResults, type Reportable } from './result';
import { printTable } from './table';

function reportable(ctx: BenchSetup): Reportable {
  const r = Object.fromEntries(RESULT_ORDER.map((k) => [k, need(ctx.results, k)])) as unknown as KnownResults;
  if (!r.saga.openLoop) throw new Error('no results.saga.openLoop: the openLoop section must run first');
  if (!r.costGrowth.workersPerQueue) {
    throw new Error('no results.costGrowth.workersPerQueue: the workersPerQueue section must run first');
  }
  return r as Reportable;
}

function latestJson(ctx: BenchSetup): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    at: ctx.startedAt.toISOString(),
    mode: ctx.mode,
    durationSeconds: round(ctx.elapsedSeconds(), 1),
    note:
      'One 2-core machine shared with other work: absolute figures drift between runs; compare the ratios, ' +
      'whose two sides are measured in the same run, next to each other in every interleaved round (A B C, C B A, …; a ratio is the median of its rounds), on the same servers; and the counts (costs), which do not depend on the machine.',
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model,
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      loadavgStart: ctx.loadavgStart.map((x) => round(x)),
      loadavgEnd: os.loadavg().map((x) => round(x)),
    },
    ...Object.fromEntries(RESULT_ORDER.map((k) => [k, ctx.results[k]])),
    ...ctx.results,
  };
}

export function writeReport(ctx: BenchSetup): void {
  const r = reportable(ctx);
  const jsonPath = path.join(ctx.outDir, 'latest.json');
  const svgPath = path.join(ctx.outDir, 'latest.svg');
  fs.writeFileSync(jsonPath, `${JSON.stringify(latestJson(ctx), null, 2)}\n`);
  fs.writeFileSync(svgPath, chartOf(r, ctx.mode, ctx.startedAt.toISOString()));
  printTable(r);
  ctx.say(`wrote ${jsonPath}`);
  ctx.say(`wrote ${svgPath}`);
  for (const f of ctx.files) ctx.say(`wrote ${f.path} (${f.what})`);
}

/** `--cluster`: latest-cluster.json (header, versions, settings, the cluster section) and its table. */
export function writeClusterReport(ctx: BenchSetup): void {
  const jsonPath = path.join(ctx.outDir, 'latest-cluster.json');
  const { cluster, versions, settings } = ctx.results;
  const { concurrency, points } = cluster as { concurrency: number; points: ClusterPoint[] };
  const head = latestJson(ctx);
  fs.writeFileSync(
    jsonPath,
    `${JSON.stringify({ at: head.at, mode: head.mode, durationSeconds: head.durationSeconds, note: head.note, machine: head.machine, cluster, versions, settings }, null, 2)}\n`,
  );
  console.log(
    `saga closed loop, ${concurrency} in flight: dev server vs cluster profile (same run, interleaved)`,
  );
  for (const p of points)
    console.log(
      `  ${p.workersPerQueue} worker(s)/queue: dev server ${p.devServer.perSecond}/s p50 ${p.devServer.p50Ms} ms p99 ${p.devServer.p99Ms} ms | ` +
        `cluster ${p.cluster.perSecond}/s p50 ${p.cluster.p50Ms} ms p99 ${p.cluster.p99Ms} ms | ` +
        `cluster ÷ dev: ${p.ratio.perSecond}× orders/s, p50 ${p.ratio.p50}×, p99 ${p.ratio.p99}×`,
    );
  ctx.say(`wrote ${jsonPath}`);
}
