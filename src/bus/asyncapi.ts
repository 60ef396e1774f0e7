/**
 * The AsyncAPI 3.0 document of the bus, generated from the code's own sources: the topics (topics.ts), the
 * headers (headers.ts) and the payload of every event type (event-schemas.ts). docs/asyncapi.json is a
 * committed copy (`npm run asyncapi` rewrites it); the API serves it at GET /asyncapi.json; a unit test checks
 * the copy is current and an integration test validates what the relays publish against it.
 */
import { z } from 'zod';
import { EVENT_DATA_SCHEMAS, envelopeSchema } from './event-schemas';
import { HEADER_NAMES } from './headers';
import { BUS_SERVICES, eventsTopic } from './topics';

type Json = Record<string, unknown>;

const HEADER_DOCS: Record<keyof typeof HEADER_NAMES, { doc: string; required: boolean }> = {
  eventId: { doc: "the event's id (uuid): every consumer de-duplicates by it", required: true },
  type: { doc: 'the event type, e.g. OrderPlaced (the message name)', required: true },
  schemaVersion: { doc: "schema version of the payload's data, a positive integer", required: true },
  correlationId: { doc: 'the order the event belongs to', required: false },
  causationId: { doc: 'id of the event, request or activity that caused it', required: false },
  requestId: { doc: "the gateway's HTTP request id", required: false },
};

function headersSchema(): Json {
  const entries = Object.entries(HEADER_NAMES) as [keyof typeof HEADER_NAMES, string][];
  return {
    type: 'object',
    description: 'Kafka record headers (UTF-8 text values)',
    properties: Object.fromEntries(
      entries.map(([field, name]) => [
        name,
        {
          type: 'string',
          minLength: 1,
          description: HEADER_DOCS[field].doc,
          ...(field === 'schemaVersion' && { pattern: '^[1-9][0-9]*$' }),
        },
      ]),
    ),
    required: entries.filter(([f]) => HEADER_DOCS[f].required).map(([, name]) => name),
  };
}

const jsonSchema = (schema: z.ZodType): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output' }) as Json;
  return rest;
};

/** The component name of an event type's message (event types are unique across services). */
const messageId = (type: string) => type;

export function asyncApiDocument(): Json {
  const messages: Json = {};
  const channels: Json = {};
  const operations: Json = {};
  for (const service of BUS_SERVICES) {
    const topic = eventsTopic(service);
    const types = Object.keys(EVENT_DATA_SCHEMAS[service]).sort();
    for (const type of types) {
      messages[messageId(type)] = {
        name: type,
        title: `${type} (${service})`,
        contentType: 'application/json',
        headers: { $ref: '#/components/schemas/EventHeaders' },
        payload: jsonSchema(envelopeSchema(type, EVENT_DATA_SCHEMAS[service][type]!)),
        bindings: {
          kafka: {
            key: { type: 'string', description: 'the stream (aggregate) id: one aggregate, one partition' },
            bindingVersion: '0.5.0',
          },
        },
      };
    }
    const refs = Object.fromEntries(types.map((t) => [t, { $ref: `#/components/messages/${messageId(t)}` }]));
    channels[topic] = {
      address: topic,
      title: `${service} integration events`,
      description:
        `Every event the ${service} service records, published by its outbox relay after the transaction ` +
        'committed; keyed by stream id, so one aggregate is in one partition in version order. At least ' +
        'once on the wire: consumers de-duplicate by the event-id header and apply per key in version order.',
      messages: refs,
      bindings: { kafka: { bindingVersion: '0.5.0' } },
    };
    operations[`${service}Publishes`] = {
      action: 'send',
      title: `the ${service} outbox relay publishes`,
      channel: { $ref: `#/channels/${topic}` },
      messages: types.map((t) => ({ $ref: `#/channels/${topic}/messages/${t}` })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'order-saga integration events',
      version: '1.0.0',
      description:
        "One topic per service, `<service>.events`. The value is the service's event envelope as JSON; " +
        'the headers let a consumer route and de-duplicate without parsing it. Generated from src/bus.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'the broker `npm start` runs (KAFKA_PORT); KAFKA_BROKERS names another cluster',
      },
    },
    channels,
    operations,
    components: { schemas: { EventHeaders: headersSchema() }, messages },
  };
}

export function asyncApiText(): string {
  return `${JSON.stringify(asyncApiDocument(), null, 2)}\n`;
}
