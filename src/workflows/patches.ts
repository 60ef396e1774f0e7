/**
 * The saga's patches (src/workflows/README.md, "Versioning"): each id marks a change of the commands a saga
 * issues, so sagas started before it replay on the branch they started on.
 *
 * Sagas started by the release that made the orders service's steps local activities record one marker,
 * PATCH_LOCAL_ORDER_STEPS, in their first workflow task. That marker also stands for every patch listed in
 * IMPLIED_BY_LOCAL_ORDER_STEPS (older, or shipped with it): such a saga takes all their new branches without
 * recording their markers, so a new saga pays for one marker (and the TemporalChangeVersion search attribute
 * upsert the SDK adds to each marker) instead of one per patch. A saga started earlier that reaches one of
 * those points after the deployment records the local-order-steps marker there (not replaying: patched() is
 * true) and takes the new branch; replaying its old history, it has no marker and takes the old one. A
 * patch added later must not join the list: sagas with the marker were started before it existed.
 */
import { patched } from '@temporalio/workflow';

/** v2: refuse an unsupported destination before any stock or money moves (old sagas: at shipment). */
export const PATCH_VALIDATE_DESTINATION = 'validate-destination-before-reserve';
/** v3: place the order even when a cancel was accepted before it (old sagas: unwind without placing). */
export const PATCH_PLACE_ORDER_ALWAYS = 'place-order-even-if-cancelled';
/**
 * v4: the orders service's steps run as local activities (old sagas: activities on the `orders` queue), and
 * the saga no longer upserts the CustomerId and OrderStatus=PENDING search attributes its start options set.
 */
export const PATCH_LOCAL_ORDER_STEPS = 'local-order-steps';
/** v4: a step that a cancel stops registers no undo (old sagas: its no-op undo ran too). */
export const PATCH_CANCEL_BEFORE_UNDO = 'cancel-check-before-undo';
/** v4: a shipment whose undo is refused because the parcel left is kept and the order completes. */
export const PATCH_KEEP_DISPATCHED_SHIPMENT = 'keep-dispatched-shipment';
/**
 * v4: the bookkeeping after shipping ignores a Temporal cancel, and a failure parks the saga in
 * COMPENSATION_BLOCKED until retryCompensation (old sagas: the workflow failed, or was cancelled).
 */
export const PATCH_PARK_AFTER_SHIPPING = 'park-bookkeeping-after-shipping';

export const IMPLIED_BY_LOCAL_ORDER_STEPS = [
  PATCH_VALIDATE_DESTINATION,
  PATCH_PLACE_ORDER_ALWAYS,
  PATCH_CANCEL_BEFORE_UNDO,
  PATCH_KEEP_DISPATCHED_SHIPMENT,
  PATCH_PARK_AFTER_SHIPPING,
] as const;
export type ImpliedPatch = (typeof IMPLIED_BY_LOCAL_ORDER_STEPS)[number];

/** Whether this saga runs the orders service's steps as local activities (records the marker when new). */
export const localOrderSteps = (): boolean => patched(PATCH_LOCAL_ORDER_STEPS);

/** Whether the new branch of `id` applies: implied by the local-order-steps marker, else its own patch. */
export const applies = (id: ImpliedPatch): boolean => localOrderSteps() || patched(id);
