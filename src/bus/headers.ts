/**
 * The headers every integration event carries on the bus, declared once: their wire names, the typed
 * shape the code uses, and the two conversions. A consumer can route, de-duplicate and trace a message
 * from its headers alone, without parsing the payload.
 */
import { z } from 'zod';

/** Typed header field → header name on the wire. */
export const HEADER_NAMES = {
  eventId: 'event-id',
  type: 'event-type',
  schemaVersion: 'schema-version',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  requestId: 'request-id',
} as const;

const text = z.string().min(1);
const headersSchema = z.object({
  eventId: text,
  type: text,
  schemaVersion: z
    .string()
    .regex(/^[1-9]\d*$/, 'must be a positive integer')
    .transform(Number),
  correlationId: text.optional(),
  causationId: text.optional(),
  requestId: text.optional(),
});

export interface EventHeaders {
  /** the event's id (uuid): the de-duplication key of every consumer */
  eventId: string;
  /** the event type, e.g. `OrderPlaced` */
  type: string;
  /** schema version of the payload's data */
  schemaVersion: number;
  /** the order id the event belongs to */
  correlationId?: string;
  /** id of the event, request or activity that caused it */
  causationId?: string;
  /** the gateway's HTTP request id */
  requestId?: string;
}

export class BusHeaderError extends Error {
  override name = 'BusHeaderError';
}

export function encodeHeaders(h: EventHeaders): Map<string, string> {
  const out = new Map<string, string>();
  for (const [field, name] of Object.entries(HEADER_NAMES) as [keyof EventHeaders, string][]) {
    const value = h[field];
    if (value !== undefined) out.set(name, String(value));
  }
  return out;
}

/** Reads the typed headers of a consumed message; throws a BusHeaderError naming what is missing or bad. */
export function decodeHeaders(raw: ReadonlyMap<string, string>): EventHeaders {
  const byField = Object.fromEntries(
    Object.entries(HEADER_NAMES).flatMap(([field, name]) => {
      const value = raw.get(name);
      return value === undefined ? [] : [[field, value]];
    }),
  );
  const parsed = headersSchema.safeParse(byField);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '?') as keyof typeof HEADER_NAMES;
    throw new BusHeaderError(`header ${HEADER_NAMES[field] ?? field}: ${issue?.message ?? 'invalid'}`);
  }
  const { correlationId, causationId, requestId, ...required } = parsed.data;
  return {
    ...required,
    ...(correlationId !== undefined && { correlationId }),
    ...(causationId !== undefined && { causationId }),
    ...(requestId !== undefined && { requestId }),
  };
}
