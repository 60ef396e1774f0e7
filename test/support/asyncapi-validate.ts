/**
 * Validates a bus message against the AsyncAPI document (docs/asyncapi.json or asyncApiDocument()) with a
 * general JSON Schema validator (ajv, draft-07): the message named by its `event-type` header must be a
 * message of the topic's channel, its headers must fit EventHeaders and its value the message's payload.
 * Returns the problems found (empty: valid).
 */
import Ajv, { type ValidateFunction } from 'ajv';

interface Doc {
  channels: Record<string, { messages: Record<string, { $ref: string }> }>;
  components: { schemas: { EventHeaders: object }; messages: Record<string, { payload: object }> };
}

export function createAsyncApiValidator(doc: object) {
  const d = doc as Doc;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const headers = ajv.compile(d.components.schemas.EventHeaders);
  const payloads = new Map<string, ValidateFunction>();
  const payloadOf = (name: string) => {
    let v = payloads.get(name);
    if (!v) {
      const m = d.components.messages[name];
      if (!m) return undefined;
      v = ajv.compile(m.payload);
      payloads.set(name, v);
    }
    return v;
  };
  const errors = (v: ValidateFunction) => (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

  return (topic: string, rawHeaders: ReadonlyMap<string, string>, value: string): string[] => {
    const channel = d.channels[topic];
    if (!channel) return [`topic ${topic} is not a channel of the document`];
    const h = Object.fromEntries(rawHeaders);
    if (!headers(h)) return errors(headers).map((e) => `headers${e}`);
    const type = h['event-type'];
    if (!type || !channel.messages[type]) return [`${type} is not a message of ${topic}`];
    const validate = payloadOf(type);
    if (!validate) return [`${type} has no payload schema`];
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return ['value is not JSON'];
    }
    return validate(parsed) ? [] : errors(validate).map((e) => `payload${e}`);
  };
}
