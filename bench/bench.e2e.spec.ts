/**
 * `npm run bench:short` end to end: the whole bench in its tiny mode (own stack on free ports and a temp
 * DATA_DIR) must finish and write a result file with every section, each holding numbers. No timing
 * assertions: the figures of a short run on a shared machine are only a smoke test. It writes into a fresh
 * temp directory (BENCH_OUT_DIR), never into bench/results, which holds the last full run's results.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '..');
const committedSvg = path.join(__dirname, 'results', 'latest.svg');

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function assertNumbers(obj: Record<string, unknown>, keys: string[], where: string): void {
  for (const k of keys) assert.ok(isNum(obj[k]), `${where}.${k} should be a number, got ${String(obj[k])}`);
}

// bench:short took 5.5 minutes at load ~30 (stack start-up, the event store with its peer, 7 cost paths, 3
// closed-loop rounds); the runner's 10-minute default was too short for it at load 40–60
describe('npm run bench:short', { timeout: 20 * 60_000 }, () => {
  it(
    'runs every part and writes a result file with every section in numbers',
    { timeout: 20 * 60_000 },
    async (t) => {
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-short-'));
      t.after(() => fs.rmSync(outDir, { recursive: true, force: true }));
      const resultFile = path.join(outDir, 'latest.json');
      const svgFile = path.join(outDir, 'latest.svg');
      const committedSvgBefore = fs.existsSync(committedSvg) ? fs.statSync(committedSvg).mtimeMs : 0;
      const before = fs.existsSync(resultFile) ? fs.statSync(resultFile).mtimeMs : 0;
      let out = '';
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', path.join(__dirname, 'run.ts'), '--short'],
          {
            cwd: root,
            env: { ...process.env, LOG_LEVEL: 'warn', BENCH_OUT_DIR: outDir },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', resolve);
      });
      assert.equal(code, 0, `bench:short failed:\n${out.split('\n').slice(-40).join('\n')}`);
      assert.ok(fs.existsSync(resultFile), `latest.json was not written to ${outDir}`);
      assert.ok(fs.statSync(resultFile).mtimeMs > before, 'latest.json was not rewritten');
      assert.ok(fs.readFileSync(svgFile, 'utf8').startsWith('<svg'));
      assert.ok(
        fs.existsSync(path.join(outDir, 'eventstore.json')),
        'the event store child wrote into BENCH_OUT_DIR',
      );
      assert.ok(out.includes(`wrote ${resultFile}`), 'the paths written are printed');
      assert.equal(
        fs.existsSync(committedSvg) ? fs.statSync(committedSvg).mtimeMs : 0,
        committedSvgBefore,
        'a short run must not touch bench/results/latest.svg',
      );
      assert.match(out, /sagaOverhead/);

      const r = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Record<string, Record<string, unknown>>;
      const loop = (section: string) =>
        assertNumbers(
          (r[section]!.closedLoop ?? {}) as Record<string, unknown>,
          ['perSecond', 'p50Ms', 'p90Ms', 'p99Ms', 'completed'],
          `${section}.closedLoop`,
        );
      loop('saga');
      loop('bareTemporal');
      loop('stubbedSaga');
      assert.ok((r.saga!.closedLoop as { completed: number }).completed > 0, 'no saga completed');

      const rungs = (r.saga!.openLoop as { rungs: Record<string, unknown>[] }).rungs;
      assert.ok(rungs.length >= 2, 'an open-loop ladder of at least two rates');
      rungs.forEach((x, i) =>
        assertNumbers(x, ['offeredPerSecond', 'perSecond', 'p50Ms', 'p99Ms'], `rung ${i}`),
      );

      assertNumbers(
        r.ratios!,
        ['sagaOverhead', 'stubbedOverBare', 'fullOverStubbed', 'eventStoreEfficiency', 'sagaOverheadPooled'],
        'ratios',
      );
      const rounds = r.ratios!.sagaOverheadRounds as {
        rounds: number[];
        median: number;
        min: number;
        max: number;
      };
      assert.ok(rounds.rounds.length >= 3, 'sagaOverhead is the median of at least three interleaved rounds');
      assert.equal(rounds.median, r.ratios!.sagaOverhead);
      assert.ok(rounds.min <= rounds.median && rounds.median <= rounds.max);
      const vsEmmett = r.ratios!.vsEmmett as Record<string, unknown>;
      assertNumbers(vsEmmett, ['1', '8', '32', 'min'], 'ratios.vsEmmett');

      const shape = r.sagaShape as { steps: { kind: string; taskQueue: string }[]; activities: number };
      assert.ok(shape.steps.length > 0, 'the saga shape has steps');
      assert.equal(
        (r.bareTemporal!.closedLoop as { perRound: number[] }).perRound.length,
        rounds.rounds.length,
      );

      const levels = (r.eventStore!.levels as Record<string, unknown>[]).map((l) => l.writers);
      assert.deepEqual(levels, [1, 8, 32]);
      for (const l of r.eventStore!.levels as Record<string, unknown>[]) {
        assertNumbers(
          l,
          [
            'appendsPerSecond',
            'appendP99Ms',
            'plainInsertsPerSecond',
            'ratio',
            'emmettPerSecond',
            'vsEmmett',
          ],
          'eventStore',
        );
        const perOp = l.statementsPerOp as Record<string, number>;
        assert.equal(perOp.plain, 1, 'the plain INSERT counts one statement per operation');
        assert.ok(perOp.emmett! >= 1, 'Emmett sends at least one statement per append');
      }

      // counted costs: every path ended as expected and has its counts
      const costs = r.costs as {
        paths: Record<string, Record<string, unknown>>;
        budget: Record<string, unknown>;
      };
      for (const name of [
        'happy',
        'noStock',
        'noFunds',
        'unsupportedCountry',
        'cancelInWindow',
        'carrierDownTooLong',
      ]) {
        const p = costs.paths[name];
        assert.ok(p, `costs.paths.${name}`);
        assertNumbers(
          p,
          [
            'historyEvents',
            'workflowTasks',
            'activityTasks',
            'localActivities',
            'historyBytes',
            'pgStatements',
            'walCommits',
          ],
          `costs.paths.${name}`,
        );
        assert.ok((p.walCommits as number) > 0, `${name} wrote to Postgres`);
      }
      const happy = costs.paths.happy!;
      assert.equal(
        (happy.activityTasks as number) + (happy.localActivities as number),
        shape.steps.length,
        'the happy order has the steps of the saga shape',
      );
      assert.equal(typeof costs.budget.withinBudget, 'boolean');

      assertNumbers(r.projectionLag!, ['p50Ms', 'p99Ms', 'samples'], 'projectionLag');
      assert.ok((r.projectionLag!.samples as number) > 0, 'projection lag has samples');

      const growth = r.costGrowth!.bare as { points: { activities: number }[]; msPerActivity: unknown };
      assert.deepEqual(
        growth.points.map((p) => p.activities),
        [1, 3, 6, 9],
      );
      assert.ok(isNum(growth.msPerActivity));
      const perQueue = (r.costGrowth!.workersPerQueue as { points: Record<string, unknown>[] }).points;
      assert.ok(perQueue.length >= 2);
      perQueue.forEach((p) => assertNumbers(p, ['workersPerQueue', 'perSecond'], 'workersPerQueue'));

      // the bus under the saga load, against the bare producer → consumer
      const bus = r.bus as Record<string, unknown>;
      assert.ok(bus, 'the bus section ran');
      assertNumbers(bus, ['busEventsPerSecond', 'messageBytes'], 'bus');
      assert.ok((bus.busEventsPerSecond as number) > 0, 'the saga load put events on the bus');
      assertNumbers(bus.applyLagMs as Record<string, unknown>, ['p50', 'p99'], 'bus.applyLagMs');
      assertNumbers(bus.bareHopMs as Record<string, unknown>, ['p50', 'p99'], 'bus.bareHopMs');
      // a ratio is null only when no round measured both sides (a loaded machine, a short window)
      const numberOrNull = (obj: Record<string, unknown>, keys: string[], where: string) =>
        keys.forEach((k) =>
          assert.ok(isNum(obj[k]) || obj[k] === null, `${where}.${k} should be a number or null`),
        );
      numberOrNull(r.ratios!.busApplyOverBareHop as Record<string, unknown>, ['p50', 'p99'], 'ratios.bus');

      // the saga with the bus and on a second stack without it (BUS_ENABLED=false), interleaved
      const noBus = r.withoutBus as Record<string, Record<string, unknown>>;
      assert.ok(noBus, 'the withoutBus section ran');
      for (const side of ['withBus', 'withoutBus']) {
        assertNumbers(noBus[side]!, ['perSecond', 'p50Ms', 'completed'], `withoutBus.${side}`);
        assert.equal(noBus[side]!.failed, 0, `withoutBus.${side}: ${String(noBus[side]!.firstError)}`);
      }
      assert.ok(
        isNum(r.ratios!.sagaWithBusOverWithout) || r.ratios!.sagaWithBusOverWithout === null,
        'ratios.sagaWithBusOverWithout',
      );

      // both saga modes, and the saga against 2pc and 3pc, in the same run
      for (const mode of ['orchestration', 'choreography']) {
        const m = (r.modes as Record<string, Record<string, unknown>>)[mode]!;
        assertNumbers(m, ['postgresCommitsPerOrder', 'busMessagesPerOrder'], `modes.${mode}`);
        // completed in its runs (ramp and drain included): the mode works end to end
        assert.ok((m.ordersCounted as number) > 0, `no ${mode} order completed`);
        assert.ok((m.busMessagesPerOrder as number) > 0, `${mode} orders put messages on the bus`);
      }
      const modeRatios = r.ratios!.choreographyOverOrchestration as Record<string, unknown>;
      assertNumbers(modeRatios, ['postgresCommitsPerOrder', 'busMessagesPerOrder'], 'ratios.modes');
      numberOrNull(modeRatios, ['ordersPerSecond', 'p50', 'p99'], 'ratios.modes');
      const atomic = r.atomic as Record<string, Record<string, Record<string, unknown>>>;
      for (const workload of ['spread', 'hot']) {
        for (const mode of ['orchestration', '2pc', '3pc']) {
          const m = atomic[workload]![mode]!;
          assertNumbers(m, ['lockWaitMsPerOrder'], `atomic.${workload}.${mode}`);
          assert.ok((m.ordersCompleted as number) > 0, `no ${mode} order completed (${workload})`);
        }
      }

      const versions = r.versions as Record<string, string>;
      for (const k of ['node', 'temporalSdk', 'temporalCli', 'temporalServer', 'postgres']) {
        assert.ok(versions[k] && versions[k] !== 'unknown', `versions.${k}`);
      }
      const settings = r.settings as Record<string, Record<string, unknown>>;
      assert.ok((settings.devServerArgs as unknown as string[]).includes('start-dev'));
      assert.ok((settings.sqlite!.pragmas as string[]).length > 0);
      assert.ok(settings.postgres!.synchronous_commit);
      assertNumbers(
        settings.worker!,
        ['maxConcurrentActivities', 'maxConcurrentWorkflowTasks', 'maxCachedWorkflows'],
        'worker',
      );
    },
  );
});
