/**
 * Replay tests: every committed history (test/replay/histories, one per saga path, captured from real runs
 * by `npm run replay:capture`) must replay against the current workflow code without non-determinism. This
 * is the guard that a change to the saga cannot break sagas that are already running. The other tests show
 * the guard bites: incompatible variants of the saga, and tampered histories, must fail the replay.
 * No server is needed: the SDK's replayer runs the workflow bundle against the recorded events.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import {
  loadHistories,
  noopSinks,
  parseHistory,
  SAGA_PATHS,
  scheduledActivityTypes,
  type StoredHistory,
} from './histories';
import { bundleWorkflows, findVariant, materializeVariant, VARIANTS, WORKFLOWS_DIR } from './variants';

interface Outcome {
  name: string;
  error?: Error;
}

async function replayAll(bundle: WorkflowBundle, histories: StoredHistory[]): Promise<Outcome[]> {
  const byWorkflowId = new Map(histories.map((h) => [h.workflowId, h.name]));
  assert.equal(byWorkflowId.size, histories.length, 'each history has its own workflow id');
  const results = Worker.runReplayHistories(
    { workflowBundle: bundle, sinks: noopSinks, replayName: 'order-saga-replay' },
    histories.map((h) => ({ workflowId: h.workflowId, history: h.history })),
  );
  const out: Outcome[] = [];
  for await (const r of results) out.push({ name: byWorkflowId.get(r.workflowId)!, error: r.error });
  assert.equal(out.length, histories.length, 'every history was replayed');
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether the saga took a patched() branch (the SDK records a marker for it). */
const hasPatchMarker = (history: StoredHistory['history']) =>
  (history.events ?? []).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');

const describeFailures = (outcomes: Outcome[]) =>
  outcomes
    .filter((o) => o.error)
    .map((o) => `${o.name}: ${o.error!.name}: ${o.error!.message}`)
    .join('\n');

interface JsonEvent {
  eventType?: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
}
const scheduledEvents = (json: unknown) =>
  ((json as { events: JsonEvent[] }).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);

describe('workflow replay of the committed saga histories', { timeout: 300_000 }, () => {
  let histories: StoredHistory[];
  let current: WorkflowBundle;

  before(async () => {
    // The tests below provoke non-determinism on purpose: keep the SDK's warnings about it out of the output.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
    });
    histories = loadHistories();
    current = await bundleWorkflows(WORKFLOWS_DIR);
  });

  it('there is a committed history for every saga path', () => {
    const names = histories.map((h) => h.name);
    assert.ok(
      histories.length >= SAGA_PATHS.length,
      `only ${histories.length} histories: ${names.join(', ')}`,
    );
    for (const p of SAGA_PATHS)
      assert.ok(names.includes(p), `missing history test/replay/histories/${p}.json`);
    for (const h of histories)
      assert.ok(scheduledActivityTypes(h.history).includes('placeOrder'), `${h.name} scheduled no activity`);
  });

  it('the current workflow code replays every committed history deterministically', async () => {
    const outcomes = await replayAll(current, histories);
    assert.equal(describeFailures(outcomes), '', 'no history may fail to replay');
  });

  for (const variant of VARIANTS) {
    it(`a saga that ${variant.description} fails the replay with a DeterminismViolationError`, async () => {
      const v = materializeVariant(variant);
      try {
        const bundle = await bundleWorkflows(v.workflowsPath);
        const outcomes = await replayAll(bundle, histories);
        let failed = 0;
        for (const o of outcomes) {
          const h = histories.find((x) => x.name === o.name)!;
          // Every history that got as far as reserving stock runs into the change; the others may not.
          if (scheduledActivityTypes(h.history).includes('reserveStock')) {
            assert.ok(o.error instanceof DeterminismViolationError, `${o.name} replayed: ${String(o.error)}`);
            failed++;
          } else {
            assert.equal(o.error, undefined, `${o.name} never reached the change: ${String(o.error)}`);
          }
        }
        assert.ok(failed >= 5, `only ${failed} histories exercised the change`);
      } finally {
        v.cleanup();
      }
    });
  }

  it('sagas started before the validate-destination patch (v1 histories) replay on the current code', async () => {
    const v1 = histories.filter((h) => h.name.startsWith('v1/'));
    assert.ok(v1.length >= 2, 'test/replay/histories/v1 holds histories of the code before the patch');
    for (const h of v1) {
      const types = scheduledActivityTypes(h.history);
      assert.ok(!types.includes('validateDestination'), `${h.name} was recorded by the patched code`);
      assert.ok(!hasPatchMarker(h.history), `${h.name} has a patch marker`);
    }
    const outcomes = await replayAll(current, v1);
    assert.equal(describeFailures(outcomes), '', 'the patched() branch keeps the old sagas replaying');
  });

  it('deprecating the patch keeps every patched history replaying but breaks the v1 histories', async () => {
    const v = materializeVariant(findVariant('deprecated-patch'));
    try {
      const outcomes = await replayAll(await bundleWorkflows(v.workflowsPath), histories);
      for (const o of outcomes) {
        const h = histories.find((x) => x.name === o.name)!;
        if (hasPatchMarker(h.history)) assert.equal(o.error, undefined, `${o.name}: ${String(o.error)}`);
        else
          assert.ok(
            o.error instanceof DeterminismViolationError,
            `${o.name} replayed without the old branch`,
          );
      }
    } finally {
      v.cleanup();
    }
  });

  it('removing the patch call without deprecating it first breaks every history with the patch marker', async () => {
    const v = materializeVariant(findVariant('patch-removed'));
    try {
      const outcomes = await replayAll(await bundleWorkflows(v.workflowsPath), histories);
      for (const o of outcomes) {
        const h = histories.find((x) => x.name === o.name)!;
        assert.ok(o.error instanceof DeterminismViolationError, `${o.name} replayed without the patch call`);
        if (hasPatchMarker(h.history)) assert.match(o.error.message, /patch marker/);
      }
    } finally {
      v.cleanup();
    }
  });

  it('a saga recorded under deprecatePatch() replays once the patch call is removed (the last step)', async () => {
    // recorded with `npm run replay:capture -- --version deprecated-patch --out <dir> happy-path`
    const deprecatedEra = loadHistories(path.join(__dirname, 'procedure'));
    assert.equal(deprecatedEra.length, 1);
    const v = materializeVariant(findVariant('patch-removed'));
    try {
      const outcomes = await replayAll(await bundleWorkflows(v.workflowsPath), deprecatedEra);
      assert.equal(describeFailures(outcomes), '');
      assert.equal(describeFailures(await replayAll(current, deprecatedEra)), '', 'and on the current code');
    } finally {
      v.cleanup();
    }
  });

  it('a history edited so that an activity type differs fails the replay', async () => {
    const tampered = histories.map((h) => {
      const json = structuredClone(h.json);
      const events = scheduledEvents(json);
      const target = events.at(-1)!.activityTaskScheduledEventAttributes!.activityType!;
      target.name = `${target.name}Renamed`;
      return parseHistory(`${h.name} (renamed ${target.name})`, json);
    });
    const outcomes = await replayAll(current, tampered);
    for (const o of outcomes)
      assert.ok(o.error instanceof DeterminismViolationError, `${o.name} still replayed: ${String(o.error)}`);
  });

  it('a history edited so that the order of two activities differs fails the replay', async () => {
    const tampered = histories.map((h) => {
      const json = structuredClone(h.json);
      const events = scheduledEvents(json);
      // swap the first scheduled activity with the next one of another type
      const first = events[0]!.activityTaskScheduledEventAttributes!.activityType!;
      const other = events.find(
        (e) => e.activityTaskScheduledEventAttributes!.activityType!.name !== first.name,
      );
      assert.ok(other, `${h.name} has only one activity type`);
      const second = other.activityTaskScheduledEventAttributes!.activityType!;
      [first.name, second.name] = [second.name, first.name];
      return parseHistory(`${h.name} (swapped ${first.name}/${second.name})`, json);
    });
    const outcomes = await replayAll(current, tampered);
    for (const o of outcomes)
      assert.ok(o.error instanceof DeterminismViolationError, `${o.name} still replayed: ${String(o.error)}`);
  });
});
