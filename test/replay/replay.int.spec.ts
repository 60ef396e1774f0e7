/**
 * Replay tests: every committed history (test/replay/histories, one per saga path, captured from real runs
 * by `npm run replay:capture`; older versions' histories in v1/, v2/, v3/) must replay against the current
 * workflow code without non-determinism. This is the guard that a change to the saga cannot break sagas that
 * are already running on a covered path. The histories of the current version must have been captured from
 * the current code (capture-manifest.json), so a new path of the code cannot go unrecorded. The other tests
 * show the guard bites: incompatible variants of the saga, and tampered histories, must fail the replay.
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
  PATCH_LOCAL_ORDER_STEPS,
  PATCH_PERSIST_CANCEL_BEFORE_LOCAL_UNDO,
  PATCH_PLACE_ORDER_ALWAYS,
  PATCH_VALIDATE_DESTINATION,
} from '../../src/workflows/patches';
import {
  acceptedUpdateBeforeFirstStep,
  HISTORIES_DIR,
  loadHistories,
  noopSinks,
  parseHistory,
  patchIds,
  SAGA_PATHS,
  scheduledActivityTypes,
  stepTypes,
  type StoredHistory,
} from './histories';
import { findVariant, materializeVariant, VARIANTS } from './variants';
import {
  bundleWorkflows,
  type BundledWorkflows,
  MANIFEST_FILE,
  readManifest,
  staleness,
} from './workflow-code';

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

async function replayVariant(name: string, histories: StoredHistory[]): Promise<Outcome[]> {
  const v = materializeVariant(findVariant(name));
  try {
    return await replayAll((await bundleWorkflows(v.workflowsPath)).bundle, histories);
  } finally {
    v.cleanup();
  }
}

const describeFailures = (outcomes: Outcome[]) =>
  outcomes
    .filter((o) => o.error)
    .map((o) => `${o.name}: ${o.error!.name}: ${o.error!.message}`)
    .join('\n');

const placedOrder = (h: StoredHistory) => stepTypes(h.history).includes('placeOrder');
/** sagas of the local-order-steps release: their one marker implies the earlier patches */
const localSteps = (h: StoredHistory) => patchIds(h.history).includes(PATCH_LOCAL_ORDER_STEPS);
const isCurrent = (h: StoredHistory) => !h.name.includes('/');

interface JsonEvent {
  eventType?: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  markerRecordedEventAttributes?: {
    markerName?: string;
    details?: { data?: { payloads?: { data?: string }[] } };
  };
}

/**
 * A step of a history in proto JSON, to tamper with: an activity's scheduled event, or a local activity's
 * marker (whose type is in its `data` payload, JSON in base64).
 */
interface JsonStep {
  name: string;
  rename(to: string): void;
}
function jsonSteps(json: unknown): JsonStep[] {
  return ((json as { events: JsonEvent[] }).events ?? []).flatMap((e): JsonStep[] => {
    const type = e.activityTaskScheduledEventAttributes?.activityType;
    if (type?.name) return [{ name: type.name, rename: (to) => (type.name = to) }];
    const payload = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
    if (e.markerRecordedEventAttributes?.markerName !== 'core_local_activity' || !payload?.data) return [];
    const data = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as {
      activity_type: string;
    };
    return [
      {
        name: data.activity_type,
        rename: (to) => {
          payload.data = Buffer.from(JSON.stringify({ ...data, activity_type: to })).toString('base64');
        },
      },
    ];
  });
}

const RECAPTURE = `
Capture the histories of the current code again: npm run replay:capture (it starts its own Temporal dev
server, Postgres and carrier; a few minutes). First read this run's replay result:
- if "the current workflow code replays every committed history" passed, the change is replay-safe and the
  new capture may replace the current histories;
- if it failed, the change breaks running sagas: put it behind patched() (README, "Replay tests"), and keep
  the current histories as "must still replay" before capturing: git mv test/replay/histories/*.json
  test/replay/histories/v<next>/ (and commit the moved files with the new capture and its ${MANIFEST_FILE}).`;

describe('workflow replay of the committed saga histories', { timeout: 300_000 }, () => {
  let histories: StoredHistory[];
  let current: BundledWorkflows;

  before(async () => {
    // The tests below provoke non-determinism on purpose: keep the SDK's warnings about it out of the output.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
    });
    histories = loadHistories();
    current = await bundleWorkflows();
  });

  it('there is a committed history of the current version for every saga path', () => {
    const names = histories.filter(isCurrent).map((h) => h.name);
    for (const p of SAGA_PATHS)
      assert.ok(names.includes(p), `missing history test/replay/histories/${p}.json`);
    for (const h of histories) assert.ok(stepTypes(h.history).length > 0, `${h.name} ran no step`);
  });

  it(`the histories of the current version were captured from the current workflow code (${MANIFEST_FILE})`, () => {
    const problems = staleness(readManifest(HISTORIES_DIR), current, histories.filter(isCurrent));
    assert.ok(
      problems.length === 0,
      `The workflow code changed after the newest capture of test/replay/histories:\n` +
        problems.map((p) => `- ${p}`).join('\n') +
        `\n${RECAPTURE}`,
    );
  });

  it('the current workflow code replays every committed history deterministically', async () => {
    const outcomes = await replayAll(current.bundle, histories);
    assert.equal(describeFailures(outcomes), '', 'no history may fail to replay');
  });

  for (const variant of VARIANTS) {
    it(`a saga that ${variant.description} fails the replay of the paths it changes`, async () => {
      const outcomes = await replayVariant(variant.name, histories);
      let failed = 0;
      for (const o of outcomes) {
        const h = histories.find((x) => x.name === o.name)!;
        if (variant.breaks(h)) {
          assert.ok(o.error instanceof DeterminismViolationError, `${o.name} replayed: ${String(o.error)}`);
          failed++;
        } else {
          assert.equal(o.error, undefined, `${o.name} never reached the change: ${String(o.error)}`);
        }
      }
      assert.ok(failed >= 1, 'no committed history exercised the change');
    });
  }

  it('sagas started before the validate-destination patch (v1 histories) replay on the current code', async () => {
    const v1 = histories.filter((h) => h.name.startsWith('v1/'));
    assert.ok(v1.length >= 2, 'test/replay/histories/v1 holds histories of the code before the patch');
    for (const h of v1) {
      assert.ok(!scheduledActivityTypes(h.history).includes('validateDestination'), `${h.name} is patched`);
      assert.deepEqual(patchIds(h.history), [], `${h.name} has a patch marker`);
    }
    const outcomes = await replayAll(current.bundle, v1);
    assert.equal(describeFailures(outcomes), '', 'the patched() branch keeps the old sagas replaying');
  });

  it('a saga cancelled before placing its order, started before the place-order patch (v2), replays the old path', async () => {
    const old = histories.find((h) => h.name === 'v2/cancelled-in-started');
    const now = histories.find((h) => h.name === 'cancelled-in-started');
    assert.ok(old && now, 'both captures of the path are committed');
    for (const h of [old, now])
      assert.ok(acceptedUpdateBeforeFirstStep(h.history), `${h.name}: cancel first`);
    assert.deepEqual(stepTypes(old.history), ['rejectOrder'], 'the old code never placed it');
    assert.deepEqual(patchIds(old.history), []);
    assert.equal(stepTypes(now.history)[0], 'placeOrder', 'the current code places it first');
    assert.deepEqual(
      patchIds(now.history),
      [PATCH_LOCAL_ORDER_STEPS, PATCH_PERSIST_CANCEL_BEFORE_LOCAL_UNDO],
      'behind the marker of the current release, which implies the place-order patch (and, once cancelled, the cancel persisted before its local undo)',
    );
    const v4 = histories.find((h) => h.name === 'v4/cancelled-in-started');
    assert.ok(v4 && patchIds(v4.history).includes(PATCH_PLACE_ORDER_ALWAYS), 'v4: behind its own marker');
    assert.equal(describeFailures(await replayAll(current.bundle, [old, v4, now])), '');
  });

  it('a saga of the unpatched bc05ff1 code (main before the patch) cancelled before placing does not replay', async () => {
    // recorded with `npm run replay:capture -- --version place-order-always-unpatched --out <dir> cancelled-in-started`.
    // Neither it nor the v2 saga has a marker, so no code can tell them apart: the patch keeps the older (v2)
    // sagas and gives up these, which only existed between bc05ff1 and the patch and end within seconds.
    const [between] = loadHistories(path.join(__dirname, 'incompatible'));
    assert.ok(between && acceptedUpdateBeforeFirstStep(between.history));
    assert.equal(scheduledActivityTypes(between.history)[0], 'placeOrder');
    assert.deepEqual(patchIds(between.history).includes(PATCH_PLACE_ORDER_ALWAYS), false);
    const [outcome] = await replayAll(current.bundle, [between]);
    assert.ok(outcome?.error instanceof DeterminismViolationError, 'it replayed: update the README');
    assert.match(outcome.error.message, /scheduled event 'placeOrder' does not match .* 'rejectOrder'/);
  });

  it('deprecating the validate-destination patch keeps its patched histories replaying but breaks the v1 ones', async () => {
    const outcomes = await replayVariant('deprecated-patch', histories);
    for (const o of outcomes) {
      const h = histories.find((x) => x.name === o.name)!;
      if (patchIds(h.history).includes(PATCH_VALIDATE_DESTINATION) || localSteps(h) || !placedOrder(h))
        assert.equal(o.error, undefined, `${o.name}: ${String(o.error)}`);
      else
        assert.ok(o.error instanceof DeterminismViolationError, `${o.name} replayed without the old branch`);
    }
    assert.ok(
      outcomes.some((o) => o.error),
      'the v1 histories fail',
    );
  });

  it('removing the patch call without deprecating it first breaks every history that reached it', async () => {
    const outcomes = await replayVariant('patch-removed', histories);
    for (const o of outcomes) {
      const h = histories.find((x) => x.name === o.name)!;
      if (!placedOrder(h) || localSteps(h)) {
        // the current release's sagas record no marker of this patch: they replay without the call
        assert.equal(o.error, undefined, `${o.name} never reached the patch: ${String(o.error)}`);
        continue;
      }
      assert.ok(o.error instanceof DeterminismViolationError, `${o.name} replayed without the patch call`);
      if (patchIds(h.history).includes(PATCH_VALIDATE_DESTINATION))
        assert.match(o.error.message, /patch marker/);
    }
  });

  it('a saga recorded under deprecatePatch() replays once the patch call is removed (the last step)', async () => {
    // recorded with `npm run replay:capture -- --version deprecated-patch --out <dir> happy-path`
    const deprecatedEra = loadHistories(path.join(__dirname, 'procedure'));
    assert.equal(deprecatedEra.length, 1);
    assert.equal(describeFailures(await replayVariant('patch-removed', deprecatedEra)), '');
    assert.equal(
      describeFailures(await replayAll(current.bundle, deprecatedEra)),
      '',
      'and on the current code',
    );
  });

  it('a history edited so that an activity type differs fails the replay (an activity or a local one)', async () => {
    const tampered = histories.map((h) => {
      const json = structuredClone(h.json);
      const target = jsonSteps(json).at(-1)!;
      target.rename(`${target.name}Renamed`);
      return parseHistory(`${h.name} (renamed ${target.name})`, json);
    });
    const outcomes = await replayAll(current.bundle, tampered);
    for (const o of outcomes)
      assert.ok(o.error instanceof DeterminismViolationError, `${o.name} still replayed: ${String(o.error)}`);
  });

  it('a history edited so that the order of two activities differs fails the replay', async () => {
    const tampered = histories.flatMap((h) => {
      const json = structuredClone(h.json);
      const steps = jsonSteps(json);
      // swap the first step (activity or local activity) with the next one of another type
      const first = steps[0]!;
      const second = steps.find((step) => step.name !== first.name);
      if (!second) return []; // a single step (the v2 saga cancelled before placing): nothing to swap
      const [a, b] = [first.name, second.name];
      first.rename(b);
      second.rename(a);
      return [parseHistory(`${h.name} (swapped ${a}/${b})`, json)];
    });
    assert.ok(tampered.length >= histories.length - 1);
    const outcomes = await replayAll(current.bundle, tampered);
    for (const o of outcomes)
      assert.ok(o.error instanceof DeterminismViolationError, `${o.name} still replayed: ${String(o.error)}`);
  });
});
