/**
 * How an order's saga is coordinated, declared once: the API's schema, the OpenAPI document, the
 * idempotency fingerprint and the routes derive from this list.
 * - `orchestration`: one Temporal workflow per order calls each service's activities (src/workflows);
 * - `choreography`: no coordinator; each service reacts to the others' events on the bus
 *   (src/services/<service>/reactions.ts).
 */
export const COORDINATION_MODES = ['orchestration', 'choreography'] as const;
export type CoordinationMode = (typeof COORDINATION_MODES)[number];
export const DEFAULT_COORDINATION: CoordinationMode = 'orchestration';
