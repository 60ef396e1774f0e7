/**
 * Deliberately incompatible variants of the saga, to prove the replay guard works. Each variant is the
 * *current* workflow code (src/workflows) with exactly one change a developer could plausibly make (two steps
 * swapped, an activity renamed), generated at test time so it never drifts from the real workflow. The
 * variant is written to a temporary copy of the workflows folder (its imports outside the folder pointing back
 * at src) and bundled as a workflowsPath of its own; nothing is added to src/.
 * If the saga is refactored so that a mutation no longer applies, `materializeVariant` throws and says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  acceptedUpdateBeforeFirstStep,
  acceptedUpdates,
  patchIds,
  scheduledActivityTypes,
  signalNames,
  stepTypes,
  type StoredHistory,
} from './histories';
import { WORKFLOWS_DIR } from './workflow-code';

const SAGA_FILE = 'order-saga.ts';

/** The one edit: reads a file of the workflows folder by name, returns the new contents of those it changes. */
type Mutation = (read: (file: string) => string) => Record<string, string>;

export interface Variant {
  name: string;
  description: string;
  mutate: Mutation;
}

/** An edit of one file of the workflows folder (the saga itself unless named). */
const inFile =
  (file: string, edit: (source: string) => string): Mutation =>
  (read) => ({ [file]: edit(read(file)) });
const inSaga = (edit: (source: string) => string) => inFile(SAGA_FILE, edit);

/** A rename across the workflows folder, as a developer renames an activity everywhere it is spelled. */
const renameEverywhere =
  (from: string, to: string): Mutation =>
  (read) =>
    Object.fromEntries(
      workflowFiles()
        .filter((file) => read(file).includes(from))
        .map((file) => [file, read(file).split(from).join(to)]),
    );

/** An incompatible change, with the committed histories it must break (every other one must replay). */
export interface BreakingVariant extends Variant {
  breaks(h: StoredHistory): boolean;
}

/** Swaps two texts that each occur exactly once, the first before the second. */
function swapOnce(src: string, first: string, second: string): string {
  const a = src.indexOf(first);
  const b = src.indexOf(second);
  for (const [text, at] of [
    [first, a],
    [second, b],
  ] as const) {
    if (at < 0) throw new Error(`variant anchor not found: ${text}`);
    if (src.indexOf(text, at + 1) >= 0) throw new Error(`variant anchor is not unique: ${text}`);
  }
  if (!(a + first.length <= b)) throw new Error(`${first} must come before ${second}`);
  return src.slice(0, a) + second + src.slice(a + first.length, b) + first + src.slice(b + second.length);
}

function replaceOnce(src: string, from: string, to: string): string {
  const count = src.split(from).length - 1;
  if (count !== 1) throw new Error(`expected exactly one "${from}", found ${count}`);
  return src.replace(from, to);
}

/** [start, end) of the `if (...) { ... }` statement that starts at `marker` (balanced braces). */
function blockRange(src: string, marker: string): [number, number] {
  const start = src.indexOf(marker);
  if (start < 0) throw new Error(`variant anchor not found: ${marker}`);
  let depth = 0;
  let quote: string | undefined;
  for (let i = src.indexOf('{', start); i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return [start, i + 1];
  }
  throw new Error(`unbalanced block at ${marker}`);
}

const PATCH_BRANCH = 'if (applies(PATCH_VALIDATE_DESTINATION)) {';
/** the placeOrder patch: a cancel accepted before the order was placed no longer skips placing it */
const PLACE_ORDER_CHECK = 'evenIfCancelled: () => applies(PATCH_PLACE_ORDER_ALWAYS),';
/** the local-order-steps patch, decided per call of an orders step (src/workflows/step-calls.ts) */
const LOCAL_STEP_CHECK = 'isOrdersStep(name) && localOrderSteps()';

const reached = (h: StoredHistory, activity: string) => stepTypes(h.history).includes(activity);
/** a saga of the local-order-steps release (its one patch marker implies the earlier patches) */
const localSteps = (h: StoredHistory) => patchIds(h.history).includes('local-order-steps');
const ORDERS_STEPS = [
  'placeOrder',
  'markOrderInventoryReserved',
  'markOrderPaid',
  'completeOrder',
  'rejectOrder',
];

export const VARIANTS: BreakingVariant[] = [
  {
    name: 'swapped-steps',
    description: 'charges the customer before reserving the stock (reserveStock and chargePayment swapped)',
    // only the steps: each undo stays where it was registered, as when the two calls are swapped
    mutate: inSaga((src) =>
      swapOnce(
        src,
        "'reserveStock', () => forward.reserveStock({ orderId, lines })",
        "'chargePayment', () => forward.chargePayment({ orderId, customerId, amount: total })",
      ),
    ),
    breaks: (h) => reached(h, 'reserveStock'),
  },
  {
    name: 'renamed-activity',
    description: 'calls the reserve activity by a new name (reserveStock renamed to reserveInventory)',
    mutate: renameEverywhere('reserveStock', 'reserveInventory'),
    breaks: (h) => reached(h, 'reserveStock'),
  },
  {
    // bc05ff1 as it was first committed: the new behaviour for every saga, no patch
    name: 'place-order-always-unpatched',
    description: 'places the order although a cancel was accepted before it, without patched() (bc05ff1)',
    mutate: inSaga((src) => replaceOnce(src, PLACE_ORDER_CHECK, 'evenIfCancelled: () => true,')),
    // the current release's saga has no marker of this patch to miss
    breaks: (h) => acceptedUpdateBeforeFirstStep(h.history) && !localSteps(h),
  },
  {
    name: 'local-steps-unpatched',
    description: 'runs the orders service steps as local activities without patched() (every saga)',
    mutate: inFile('step-calls.ts', (src) => replaceOnce(src, LOCAL_STEP_CHECK, 'isOrdersStep(name)')),
    // every older saga that reached an orders step as an activity
    breaks: (h) => scheduledActivityTypes(h.history).some((t) => ORDERS_STEPS.includes(t)),
  },
  {
    name: 'cancel-ignored-after-payment',
    description:
      'no longer stops for a cancel accepted before the shipment (the check after payment dropped)',
    mutate: inSaga((src) =>
      replaceOnce(
        src,
        "    saga.stopIfCancelled();\n    saga.moveTo('AWAITING_SHIPMENT');",
        "    saga.moveTo('AWAITING_SHIPMENT');",
      ),
    ),
    // in the current release the shipment step's own check stops such a saga, before it registers the
    // shipment's undo: the same commands, so only older sagas (whose step registered its undo first) break
    breaks: (h) => acceptedUpdates(h.history) > 0 && reached(h, 'chargePayment') && !localSteps(h),
  },
  {
    name: 'blocked-alerts-operator',
    description: 'calls an activity to alert an operator when a compensation blocks',
    mutate: inFile('saga-steps.ts', (src) =>
      replaceOnce(
        replaceOnce(src, '  log,\n', '  log,\n  proxyActivities,\n'),
        "    this.moveTo('COMPENSATION_BLOCKED');",
        "    await proxyActivities({ taskQueue: 'orders', startToCloseTimeout: '1 minute' })" +
          '.alertOperator({ orderId: s.orderId, compensation });\n' +
          "    this.moveTo('COMPENSATION_BLOCKED');",
      ),
    ),
    breaks: (h) => signalNames(h.history).includes('retryCompensation'),
  },
];

/**
 * Earlier and later versions of the saga around its patches (order-saga.ts), for the versioning procedure in
 * the README ("Replay tests"). `npm run replay:capture -- --version <name> --out <dir> <path>...` records
 * histories of sagas run by such a version.
 * - `v1-before-validate-destination`: the saga before PATCH_VALIDATE_DESTINATION (no destination check
 *   before reserving); its histories are test/replay/histories/v1/.
 * - `v2-before-place-order-always`: the saga before PATCH_PLACE_ORDER_ALWAYS (bc05ff1): a cancel accepted
 *   before the order was placed skipped placing it, like every other step. Its history of that path is
 *   test/replay/histories/v2/cancelled-in-started.json.
 * - `v4-before-local-order-steps`: the saga before PATCH_LOCAL_ORDER_STEPS and the fixes it implies (its
 *   histories are test/replay/histories/v4/). v1 and v2 are taken back to before it too.
 * - `deprecated-patch`: step 2 of the procedure for the validate-destination patch, `deprecatePatch(id)` and
 *   only the new branch. It must still replay every history with that patch's marker, and must fail the v1
 *   histories that reached the check (which is why step 2 waits until no v1 saga is open).
 * - `patch-removed`: skipping straight to step 3. Histories with a (non-deprecated) patch marker fail
 *   ("Non-deprecated patch marker encountered ... but there is no corresponding change command"): the
 *   marker of `patched()` must first be superseded by `deprecatePatch()` sagas before the call can go.
 */
/** Two edits at once (of different files). */
const both =
  (a: Mutation, b: Mutation): Mutation =>
  (read) => ({ ...a(read), ...b(read) });

/**
 * The saga before the local-order-steps release (v4 and older): the orders steps are activities, and of the
 * patches only validate-destination and place-order-always exist (each with its own marker).
 */
const beforeLocalSteps: Mutation = inFile('patches.ts', (src) =>
  replaceOnce(
    replaceOnce(
      src,
      'export const localOrderSteps = (): boolean => patched(PATCH_LOCAL_ORDER_STEPS);',
      'export const localOrderSteps = (): boolean => false;',
    ),
    'export const applies = (id: ImpliedPatch): boolean => localOrderSteps() || patched(id);',
    'export const applies = (id: ImpliedPatch): boolean =>\n' +
      '  (id === PATCH_VALIDATE_DESTINATION || id === PATCH_PLACE_ORDER_ALWAYS) && patched(id);',
  ),
);

export const VERSIONS: Variant[] = [
  {
    name: 'v1-before-validate-destination',
    description: 'is the saga before the validate-destination patch',
    mutate: both(
      beforeLocalSteps,
      inSaga((src) => {
        const [a, b] = blockRange(src, PATCH_BRANCH);
        return src.slice(0, a) + '// (v1: no destination check before reserving)' + src.slice(b);
      }),
    ),
  },
  {
    name: 'v2-before-place-order-always',
    description: 'is the saga before the place-order-always patch (bc05ff1)',
    mutate: both(
      beforeLocalSteps,
      inSaga((src) => replaceOnce(src, PLACE_ORDER_CHECK, 'evenIfCancelled: () => false,')),
    ),
  },
  {
    name: 'v4-before-local-order-steps',
    description: 'is the saga before the local-order-steps release',
    mutate: beforeLocalSteps,
  },
  {
    name: 'deprecated-patch',
    description: 'deprecates the validate-destination patch (deprecatePatch, new branch only)',
    mutate: inSaga((src) => {
      const withImport = replaceOnce(
        src,
        'import type { OrderSagaInput',
        "import { deprecatePatch } from '@temporalio/workflow';\nimport type { OrderSagaInput",
      );
      const [a, b] = blockRange(withImport, PATCH_BRANCH);
      const branch = withImport.slice(a, b);
      const body = branch.slice(branch.indexOf('{') + 1, branch.lastIndexOf('}'));
      return (
        withImport.slice(0, a) +
        `deprecatePatch(PATCH_VALIDATE_DESTINATION);\n    {${body}}` +
        withImport.slice(b)
      );
    }),
  },
  {
    name: 'patch-removed',
    description: 'drops the patch call too early (new branch only, neither patched nor deprecatePatch)',
    mutate: inSaga((src) => replaceOnce(src, PATCH_BRANCH, 'if (true) {')),
  },
];

export function findVariant(name: string): Variant {
  const v = [...VARIANTS, ...VERSIONS].find((x) => x.name === name);
  if (!v)
    throw new Error(`no variant ${name}; known: ${[...VARIANTS, ...VERSIONS].map((x) => x.name).join(', ')}`);
  return v;
}

/** The workflow modules (specs aside), by file name. */
function workflowFiles(): string[] {
  return fs.readdirSync(WORKFLOWS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
}

/** Writes the variant as a workflows folder; returns its entry file and a cleanup function. */
export function materializeVariant(variant: Variant): {
  workflowsPath: string;
  dir: string;
  cleanup(): void;
} {
  const read = (file: string) => fs.readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8');
  const changed = variant.mutate(read);
  const files = workflowFiles();
  for (const [file, text] of Object.entries(changed)) {
    if (!files.includes(file)) throw new Error(`variant ${variant.name}: no ${file} in src/workflows`);
    if (text === read(file)) throw new Error(`variant ${variant.name} changed nothing in ${file}`);
  }
  if (Object.keys(changed).length === 0) throw new Error(`variant ${variant.name} changed nothing`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `order-saga-variant-${variant.name}-`));
  for (const file of files) {
    // Imports from outside the folder point back at src.
    const text = (changed[file] ?? read(file)).replace(
      /from '(\.\.\/[^']+)'/g,
      (_m, rel: string) => `from ${JSON.stringify(path.resolve(WORKFLOWS_DIR, rel))}`,
    );
    fs.writeFileSync(path.join(dir, file), text);
  }
  return {
    workflowsPath: path.join(dir, 'index.ts'),
    dir,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
