/** The OpenAPI document's building blocks: schema references, parameters, responses (./openapi.ts). */
import { z } from 'zod';
import { apiSchemas, CustomerId, IdempotencyKeyHeader, OrderId, Problem, Sku } from './schemas';

export type JsonSchema = Record<string, unknown>;

export const ref = (schema: z.ZodType): JsonSchema => {
  const id = apiSchemas.get(schema)?.id;
  if (!id) throw new Error('schema is not registered in apiSchemas');
  return { $ref: `#/components/schemas/${id}` };
};

export function components(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(apiSchemas, {
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))) {
    const { $schema: _drop, $id: _id, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

export function queryParameters(schema: z.ZodObject): JsonSchema[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: s,
  }));
}

/** A parameter's JSON Schema, from the zod schema that validates it. */
export const paramSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
  return rest;
};

export const pathParam = (
  name: string,
  schema: z.ZodType,
  description: string,
  example: string,
): JsonSchema => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: paramSchema(schema),
  example,
});

export const IDEMPOTENCY_KEY: JsonSchema = {
  name: 'Idempotency-Key',
  in: 'header',
  required: true,
  description:
    'Required on every POST. Same key + same request → the first response again (byte for byte); ' +
    'same key + different request → 422; same key while the first is in flight → 409. Kept ≥ 24 h.',
  schema: paramSchema(IdempotencyKeyHeader),
};

// examples: the demo data `npm start` seeds (src/platform/seed.ts)
export const ORDER_ID = pathParam('orderId', OrderId, 'Order id.', '0f8fad5b-d9cb-469f-a165-70867728950e');
export const CUSTOMER_ID = pathParam('customerId', CustomerId, 'Customer id.', 'cust-alice');
export const SKU = pathParam('sku', Sku, 'Stock keeping unit.', 'SKU-KEYBOARD');

export const json = (schema: z.ZodType, description: string): JsonSchema => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
});
export const problem = (description: string): JsonSchema => ({
  description,
  content: { 'application/problem+json': { schema: ref(Problem) } },
});
export const body = (schema: z.ZodType, required = true): JsonSchema => ({
  required,
  content: { 'application/json': { schema: ref(schema) } },
});

export const COMMON_ERRORS = {
  '400': problem('Invalid request: malformed JSON, unknown fields or invalid values.'),
  '401': problem('Missing, malformed, badly signed or expired bearer token.'),
  '503': problem('Postgres or Temporal unavailable; retry after `Retry-After` seconds.'),
};
export const WRITE_ERRORS = {
  ...COMMON_ERRORS,
  '409': problem('The Idempotency-Key is in use by a request still in flight.'),
  '413': problem('Body larger than 100 kB.'),
  '415': problem('Body is not application/json.'),
  '422': problem('The Idempotency-Key was used with a different request.'),
};
/** What needs the bus (choreography, the timeline, the demand), in a deployment with BUS_ENABLED=false. */
export const BUS_OFF = {
  '501': problem('This deployment runs without the event bus (BUS_ENABLED=false): `bus-disabled`.'),
};
