/**
 * The oracle's view of the bus in Postgres, read in the snapshot's transaction with plain SQL: what each
 * service published (its outbox rows that carry an event envelope), what each consumer applied (the
 * append-only `bus_applied` log, in order of application), what it dead-lettered, and the demand CRDT's
 * slots. Its own statement of the consumer groups (which schema keeps their books, which topics they read):
 * every event published on a topic a group reads is consumed by design and must be applied by it once.
 */
import type { Schema } from './snapshot';

/** the four services' schemas (snapshot.ts's SCHEMAS; spelled here too: snapshot.ts imports this file) */
const SCHEMAS: readonly Schema[] = ['orders', 'inventory', 'payments', 'shipping'];

export const eventsTopic = (s: Schema): string => `${s}.events`;

/** The consumer groups of the project: name, the schema of their checkpoints and log, the topics they read. */
export const BUS_CONSUMERS: readonly { name: string; schema: Schema; topics: readonly Schema[] }[] = [
  { name: 'orders.timeline', schema: 'orders', topics: SCHEMAS },
  { name: 'inventory.demand', schema: 'inventory', topics: ['inventory'] },
  { name: 'orders-choreography', schema: 'orders', topics: ['inventory', 'payments', 'shipping'] },
  { name: 'inventory-choreography', schema: 'inventory', topics: ['orders'] },
  { name: 'payments-choreography', schema: 'payments', topics: ['inventory', 'orders'] },
  { name: 'shipping-choreography', schema: 'shipping', topics: ['orders'] },
];

/** A published event: an outbox row whose payload is an event envelope. */
export interface Published {
  eventId: string;
  streamId: string;
  version: number;
  type: string;
  data: Record<string, unknown> | null;
  delivered: boolean;
}

export interface Application {
  seq: number;
  consumer: string;
  topic: string;
  streamId: string;
  version: number;
  eventId: string;
}

export interface DeadLetterRow {
  consumer: string;
  topic: string;
  eventId: string | null;
  streamId: string | null;
  version: number | null;
}

export interface BusTables {
  /** per schema, the events its relay publishes to `<schema>.events` */
  published: Record<Schema, Published[]>;
  /** every schema's bus_applied rows, in order of application (seq) */
  applied: Application[];
  deadLetters: DeadLetterRow[];
  /** inventory.demand_slots */
  demandSlots: { sku: string; slot: string; reserved: number; released: number; shipped: number }[];
}

type Q = <T>(text: string) => Promise<T[]>;

export async function readBusTables(q: Q): Promise<BusTables> {
  const published = {} as BusTables['published'];
  const applied: Application[] = [];
  const deadLetters: DeadLetterRow[] = [];
  for (const s of SCHEMAS) {
    published[s] = await q<Published>(
      `SELECT payload->>'eventId' AS "eventId", payload->>'streamId' AS "streamId",
              (payload->>'version')::float8 AS version, payload->>'type' AS type,
              payload->'data' AS data, delivered_at IS NOT NULL AS delivered
         FROM ${s}.outbox
        WHERE payload ? 'eventId' AND payload ? 'streamId' AND payload ? 'version'
        ORDER BY position`,
    );
    applied.push(
      ...(await q<Application>(
        `SELECT seq::float8 AS seq, consumer, topic, stream_id AS "streamId", version::float8 AS version,
                event_id AS "eventId" FROM ${s}.bus_applied ORDER BY seq`,
      )),
    );
    deadLetters.push(
      ...(await q<DeadLetterRow>(
        `SELECT consumer, topic, event_id AS "eventId", stream_id AS "streamId", version::float8 AS version
           FROM ${s}.bus_dead_letters`,
      )),
    );
  }
  const demandSlots = await q<BusTables['demandSlots'][number]>(
    `SELECT sku, slot, reserved::float8 AS reserved, released::float8 AS released, shipped::float8 AS shipped
       FROM inventory.demand_slots`,
  );
  return { published, applied, deadLetters, demandSlots };
}

/** consumer → topic → stream → its applications, in order of application */
export function applicationsByStream(
  applied: readonly Application[],
): Map<string, Map<string, Application[]>> {
  const out = new Map<string, Map<string, Application[]>>();
  for (const a of applied) {
    const key = `${a.topic}\u0000${a.streamId}`;
    const byStream = out.get(a.consumer) ?? new Map<string, Application[]>();
    out.set(a.consumer, byStream);
    const list = byStream.get(key);
    if (list) list.push(a);
    else byStream.set(key, [a]);
  }
  return out;
}
