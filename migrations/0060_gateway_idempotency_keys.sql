-- The API gateway's idempotency keys: one row per (caller, Idempotency-Key). A POST claims its key
-- (state in_progress, locked_until), does its work, then stores the exact response bytes (completed).
-- A retry with the same key and the same request fingerprint gets those bytes back; a different request
-- under the same key is refused. resource_id (e.g. the order id) is chosen at claim time and survives a
-- released claim, so a retry after a failure reuses it and never creates a second resource.
CREATE SCHEMA IF NOT EXISTS gateway;

CREATE TABLE gateway.idempotency_keys (
  scope            text        NOT NULL,               -- the caller (JWT sub)
  key              text        NOT NULL CHECK (key ~ '^[A-Za-z0-9_.:-]{1,255}$'),
  fingerprint      text        NOT NULL,               -- sha256(method, path, canonical body)
  method           text        NOT NULL,
  path             text        NOT NULL,
  state            text        NOT NULL CHECK (state IN ('in_progress', 'completed')),
  resource_id      text,
  request_id       text,
  locked_until     timestamptz,                        -- in_progress: claim held until; NULL = released
  response_status  integer,
  response_headers jsonb,
  response_body    bytea,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (scope, key),
  CHECK (expires_at >= created_at + interval '24 hours'),
  CHECK (state <> 'completed' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);

CREATE INDEX idempotency_keys_expires_at ON gateway.idempotency_keys (expires_at);
