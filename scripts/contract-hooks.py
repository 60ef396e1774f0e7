# Schemathesis hooks for `npm run test:contract` (loaded through SCHEMATHESIS_HOOKS). They make the generated
# client follow the two rules of the contract that JSON Schema cannot state, before each request is sent:
# - an array marked `x-unique-by: <field>` names each value of that field at most once (an order's items:
#   each SKU once): later duplicates are dropped;
# - an Idempotency-Key names one request: the generated key gets a suffix derived from the request (method,
#   path, query, body), so a different request never reuses a key (which the API answers with 422) and the
#   same request does (which it answers with the first response again).
# Every other constraint comes from the schema itself.
import hashlib
import json

import schemathesis


def _resolve(schema, root):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = root.get("components", {}).get("schemas", {}).get(schema["$ref"].split("/")[-1], {})
    return schema if isinstance(schema, dict) else {}


def _unique_by(schema, value, root):
    schema = _resolve(schema, root)
    if isinstance(value, list):
        items = [_unique_by(schema.get("items"), v, root) for v in value]
        field = schema.get("x-unique-by")
        if not field:
            return items
        seen, kept = set(), []
        for item in items:
            key = json.dumps(item.get(field) if isinstance(item, dict) else None, sort_keys=True)
            if key not in seen:
                seen.add(key)
                kept.append(item)
        return kept
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: _unique_by(props.get(k), v, root) for k, v in value.items()}
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    operation = case.operation
    root = operation.schema.raw_schema
    body = case.body
    if isinstance(body, (dict, list)):
        content = operation.definition.raw.get("requestBody", {}).get("content", {})
        case.body = _unique_by(content.get("application/json", {}).get("schema"), body, root)
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            request = json.dumps(
                [case.method, case.formatted_path, case.query, case.body if isinstance(case.body, (dict, list)) else None],
                sort_keys=True,
                default=str,
            )
            digest = hashlib.sha256(request.encode()).hexdigest()[:16]
            headers[name] = f"{str(headers[name])[:200]}.{digest}"
