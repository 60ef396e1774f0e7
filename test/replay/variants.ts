/**
 * Deliberately incompatible variants of the saga, to prove the replay guard works. Each variant is the
 * *current* src/workflows/order-saga.ts with exactly one change a developer could plausibly make (two steps
 * swapped, an activity renamed), generated at test time so it never drifts from the real workflow. The
 * variant is written to a temporary folder (its imports pointing back at src/workflows) and bundled as a
 * workflowsPath of its own; nothing is added to src/.
 * If the saga is refactored so that a mutation no longer applies, `materializeVariant` throws and says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  acceptedUpdateBeforeFirstStep,
  acceptedUpdates,
  scheduledActivityTypes,
  signalNames,
  type StoredHistory,
} from './histories';
import { WORKFLOWS_DIR } from './workflow-code';

const SAGA_FILE = path.join(WORKFLOWS_DIR, 'order-saga.ts');

export interface Variant {
  name: string;
  description: string;
  mutate(source: string): string;
}

/** An incompatible change, with the committed histories it must break (every other one must replay). */
export interface BreakingVariant extends Variant {
  breaks(h: StoredHistory): boolean;
}

/** [start, end) of the statement that starts at `marker` and ends at the `;` after its balanced parens. */
function statementRange(src: string, marker: string): [number, number] {
  const start = src.indexOf(marker);
  if (start < 0) throw new Error(`variant anchor not found in order-saga.ts: ${marker}`);
  if (src.indexOf(marker, start + 1) >= 0) throw new Error(`variant anchor is not unique: ${marker}`);
  let depth = 0;
  let quote: string | undefined;
  for (let i = src.indexOf('(', start); i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      if (src[i + 1] !== ';') throw new Error(`statement at ${marker} does not end with ';'`);
      return [start, i + 2];
    }
  }
  throw new Error(`unbalanced statement at ${marker}`);
}

function swapStatements(src: string, first: string, second: string): string {
  const [a0, a1] = statementRange(src, first);
  const [b0, b1] = statementRange(src, second);
  if (!(a1 <= b0)) throw new Error(`${first} must come before ${second}`);
  return src.slice(0, a0) + src.slice(b0, b1) + src.slice(a1, b0) + src.slice(a0, a1) + src.slice(b1);
}

function replaceOnce(src: string, from: string, to: string): string {
  const count = src.split(from).length - 1;
  if (count !== 1) throw new Error(`expected exactly one "${from}" in order-saga.ts, found ${count}`);
  return src.replace(from, to);
}

/** [start, end) of the `if (...) { ... }` statement that starts at `marker` (balanced braces). */
function blockRange(src: string, marker: string): [number, number] {
  const start = src.indexOf(marker);
  if (start < 0) throw new Error(`variant anchor not found in order-saga.ts: ${marker}`);
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

const PATCH_BRANCH = 'if (patched(PATCH_VALIDATE_DESTINATION)) {';
/** the placeOrder patch: a cancel accepted before the order was placed no longer skips placing it */
const PLACE_ORDER_CHECK =
  'if (cancel && !(recordEvenIfCancelled && patched(PATCH_PLACE_ORDER_ALWAYS))) throw new CancelRequested();';

const reached = (h: StoredHistory, activity: string) => scheduledActivityTypes(h.history).includes(activity);

export const VARIANTS: BreakingVariant[] = [
  {
    name: 'swapped-steps',
    description: 'charges the customer before reserving the stock (reserveStock and chargePayment swapped)',
    mutate: (src) => swapStatements(src, "await step('reserveStock'", "await step('chargePayment'"),
    breaks: (h) => reached(h, 'reserveStock'),
  },
  {
    name: 'renamed-activity',
    description: 'calls the reserve activity by a new name (reserveStock renamed to reserveInventory)',
    mutate: (src) => replaceOnce(src, 'acts.inventory.reserveStock.', 'acts.inventory.reserveInventory.'),
    breaks: (h) => reached(h, 'reserveStock'),
  },
  {
    // bc05ff1 as it was first committed: the new behaviour for every saga, no patch
    name: 'place-order-always-unpatched',
    description: 'places the order although a cancel was accepted before it, without patched() (bc05ff1)',
    mutate: (src) =>
      replaceOnce(
        src,
        PLACE_ORDER_CHECK,
        'if (cancel && !recordEvenIfCancelled) throw new CancelRequested();',
      ),
    breaks: (h) => acceptedUpdateBeforeFirstStep(h.history),
  },
  {
    name: 'cancel-ignored-after-payment',
    description:
      'no longer stops for a cancel accepted before the shipment (the check after payment dropped)',
    mutate: (src) =>
      replaceOnce(
        src,
        "    if (cancel) throw new CancelRequested();\n    moveTo('AWAITING_SHIPMENT');",
        "    moveTo('AWAITING_SHIPMENT');",
      ),
    breaks: (h) => acceptedUpdates(h.history) > 0 && reached(h, 'chargePayment'),
  },
  {
    name: 'blocked-alerts-operator',
    description: 'calls an activity to alert an operator when a compensation blocks',
    mutate: (src) =>
      replaceOnce(
        src,
        "          moveTo('COMPENSATION_BLOCKED');",
        "          await acts.ordersUndo.alertOperator({ orderId, compensation: name });\n          moveTo('COMPENSATION_BLOCKED');",
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
 * - `deprecated-patch`: step 2 of the procedure for the validate-destination patch, `deprecatePatch(id)` and
 *   only the new branch. It must still replay every history with that patch's marker, and must fail the v1
 *   histories that reached the check (which is why step 2 waits until no v1 saga is open).
 * - `patch-removed`: skipping straight to step 3. Histories with a (non-deprecated) patch marker fail
 *   ("Non-deprecated patch marker encountered ... but there is no corresponding change command"): the
 *   marker of `patched()` must first be superseded by `deprecatePatch()` sagas before the call can go.
 */
export const VERSIONS: Variant[] = [
  {
    name: 'v1-before-validate-destination',
    description: 'is the saga before the validate-destination patch',
    mutate: (src) => {
      const [a, b] = blockRange(src, PATCH_BRANCH);
      return src.slice(0, a) + '// (v1: no destination check before reserving)' + src.slice(b);
    },
  },
  {
    name: 'v2-before-place-order-always',
    description: 'is the saga before the place-order-always patch (bc05ff1)',
    mutate: (src) => replaceOnce(src, PLACE_ORDER_CHECK, 'if (cancel) throw new CancelRequested();'),
  },
  {
    name: 'deprecated-patch',
    description: 'deprecates the validate-destination patch (deprecatePatch, new branch only)',
    mutate: (src) => {
      const withImport = replaceOnce(src, '  patched,\n', '  deprecatePatch,\n  patched,\n');
      const [a, b] = blockRange(withImport, PATCH_BRANCH);
      const branch = withImport.slice(a, b);
      const body = branch.slice(branch.indexOf('{') + 1, branch.lastIndexOf('}'));
      return (
        withImport.slice(0, a) +
        `deprecatePatch(PATCH_VALIDATE_DESTINATION);\n    {${body}}` +
        withImport.slice(b)
      );
    },
  },
  {
    name: 'patch-removed',
    description: 'drops the patch call too early (new branch only, neither patched nor deprecatePatch)',
    mutate: (src) => replaceOnce(src, PATCH_BRANCH, 'if (true) {'),
  },
];

export function findVariant(name: string): Variant {
  const v = [...VARIANTS, ...VERSIONS].find((x) => x.name === name);
  if (!v)
    throw new Error(`no variant ${name}; known: ${[...VARIANTS, ...VERSIONS].map((x) => x.name).join(', ')}`);
  return v;
}

/** Writes the variant as a workflows folder; returns its entry file and a cleanup function. */
export function materializeVariant(variant: Variant): {
  workflowsPath: string;
  dir: string;
  cleanup(): void;
} {
  const original = fs.readFileSync(SAGA_FILE, 'utf8');
  const mutated = variant.mutate(original);
  if (mutated === original) throw new Error(`variant ${variant.name} changed nothing`);
  // Relative imports point back at the real workflow modules.
  const rewritten = mutated.replace(/from '\.\/([\w-]+)'/g, (_m, mod: string) => {
    return `from ${JSON.stringify(path.join(WORKFLOWS_DIR, mod))}`;
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `order-saga-variant-${variant.name}-`));
  fs.writeFileSync(path.join(dir, 'order-saga.ts'), rewritten);
  fs.writeFileSync(path.join(dir, 'index.ts'), "export { orderSaga } from './order-saga';\n");
  return {
    workflowsPath: path.join(dir, 'index.ts'),
    dir,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
