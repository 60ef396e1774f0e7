/**
 * The committed workflow histories (test/replay/histories/<path>.json, written by `npm run replay:capture`;
 * older versions' in subfolders; capture-manifest.json beside them is not a history)
 * and what the replay tests need to run them: the workflow id of each (a history does not contain it; the
 * saga's activity keys are derived from it, so it comes from the order id in the start event's input) and
 * no-op sinks for the saga metrics (a replay never calls a sink that is `callDuringReplay: false`, but the
 * sink must be known to the worker).
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import type { InjectedSinks } from '@temporalio/worker';
import { orderWorkflowId, type OrderSagaInput } from '../../src/workflows/contracts';
import type { SagaMetricsSinks } from '../../src/workflows/metrics-sink';
import { MANIFEST_FILE } from './workflow-code';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/*
 * History <-> proto JSON (the form `temporal workflow show -o json` writes and the replayer reads).
 * `historyToJSON`/`historyFromJSON` of @temporalio/common 1.24 fail here with "type must be a Type": npm
 * installed two copies of protobufjs 8 (one under @temporalio/common, one under @temporalio/proto) and
 * protojson's `instanceof Type` check fails across them. So we use the protojson of the protobufjs copy
 * that @temporalio/proto itself loads, with the same reflection root; the output format is the same.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(
  require.resolve('protobufjs/ext/protojson', {
    paths: [path.dirname(require.resolve('@temporalio/proto'))],
  }),
) as ProtoJson;
const historyType = (
  patchProtobufRoot(proto) as unknown as {
    lookupType(name: string): { fromObject(o: unknown): unknown };
  }
).lookupType('temporal.api.history.v1.History');

/** A History (as fetchHistory returns it) to its proto JSON object. */
export function historyToJson(history: History): { events: unknown[] } {
  return protojson.toJson(historyType, historyType.fromObject(history)) as { events: unknown[] };
}

/** Proto JSON to a History the replayer accepts as is (event ids as Long, payload data as bytes). */
export function historyFromJson(json: unknown): History {
  const h = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!h?.events?.length) throw new TypeError('not a workflow history (no events)');
  return h;
}

/**
 * Every saga path the capture script runs (test/replay/capture/paths.ts); one committed history per path,
 * captured from the current workflow code, must exist in test/replay/histories/.
 */
export const SAGA_PATHS = [
  'happy-path',
  'no-stock',
  'no-funds',
  'unsupported-country',
  'cancelled-in-started',
  'cancelled-while-placing',
  'cancelled-in-order-placed',
  'cancelled-in-inventory-reserved',
  'cancelled-in-window',
  'temporal-cancel-in-window',
  'temporal-cancel-while-reserving',
  'compensation-blocked-then-retried',
  'worker-crash-retry',
  'carrier-outage',
  'carrier-down-too-long',
  'shipment-dispatched-after-budget',
] as const;
export type SagaPath = (typeof SAGA_PATHS)[number];

export interface StoredHistory {
  /** file name without .json, e.g. `happy-path` or `v1/happy-path` for a kept older capture */
  name: string;
  file: string;
  workflowId: string;
  /** the proto JSON as committed (what `historyToJSON` / `temporal workflow show -o json` write) */
  json: unknown;
  history: History;
}

/** The workflow id of a saga history: `order-<orderId>` from the start event's input. */
export function workflowIdOf(history: History): string {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new Error('history does not start with WorkflowExecutionStarted with an input');
  const input = defaultPayloadConverter.fromPayload<OrderSagaInput>(payload);
  return orderWorkflowId(input.orderId);
}

export function parseHistory(name: string, json: unknown, file = '<memory>'): StoredHistory {
  const history = historyFromJson(json);
  return { name, file, json, history, workflowId: workflowIdOf(history) };
}

/** All committed histories, including older captures kept in subfolders, sorted by name (not the manifest). */
export function loadHistories(dir = HISTORIES_DIR): StoredHistory[] {
  const out: StoredHistory[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json') && e.name !== MANIFEST_FILE) {
        const name = path.relative(dir, p).replace(/\.json$/, '');
        out.push(parseHistory(name, JSON.parse(fs.readFileSync(p, 'utf8')) as unknown, p));
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Activity types in the order the history scheduled them (activities on a task queue only). */
export function scheduledActivityTypes(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

type HistoryEvent = NonNullable<History['events']>[number];

/**
 * The activity type a local activity's marker records (`core_local_activity`; its `data` payload is the
 * SDK core's marker data as JSON, `activity_type` among it); undefined for any other event.
 */
export function localActivityType(e: HistoryEvent): string | undefined {
  const m = e.markerRecordedEventAttributes;
  if (m?.markerName !== 'core_local_activity') return undefined;
  const payload = m.details?.['data']?.payloads?.[0];
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload<{ activity_type?: string }>(payload).activity_type;
}

/** Activity types of the local activities the history recorded, in order (one marker per call). */
export function localActivityTypes(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const name = localActivityType(e);
    return name ? [name] : [];
  });
}

/**
 * The saga's steps in the order it ran them, whether as an activity (when scheduled) or as a local activity
 * (when its marker was recorded, i.e. once it ended).
 */
export function stepTypes(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? localActivityType(e);
    return name ? [name] : [];
  });
}

/** How many updates (cancelOrder) the saga accepted. */
export function acceptedUpdates(history: History): number {
  return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
}

/**
 * Whether an update was accepted in the saga's first activation, before its first step: the acceptance is in
 * the first workflow task's events, ahead of the first scheduled activity or local activity marker.
 */
export function acceptedUpdateBeforeFirstStep(history: History): boolean {
  const events = history.events ?? [];
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const step = events.findIndex(
    (e) => e.activityTaskScheduledEventAttributes || localActivityType(e) !== undefined,
  );
  return accepted >= 0 && (step < 0 || accepted < step);
}

/** Names of the signals the saga received, in order. */
export function signalNames(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const name = e.workflowExecutionSignaledEventAttributes?.signalName;
    return name ? [name] : [];
  });
}

/** Ids of the patches whose markers the history holds (`core_patch` markers), in order. */
export function patchIds(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    const payload = m?.markerName === 'core_patch' ? m.details?.['patch-data']?.payloads?.[0] : undefined;
    return payload ? [defaultPayloadConverter.fromPayload<{ id: string }>(payload).id] : [];
  });
}

const noop = { fn: () => undefined, callDuringReplay: false };
/** The saga's metrics sink, doing nothing (replays never record metrics). */
export const noopSinks: InjectedSinks<SagaMetricsSinks> = {
  sagaMetrics: {
    started: noop,
    completed: noop,
    failed: noop,
    cancelled: noop,
    compensationRun: noop,
    compensationFailed: noop,
    cancellationWindow: noop,
  },
};
