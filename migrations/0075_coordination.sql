-- Atomic-commit coordination (2PC / 3PC over Postgres prepared transactions, src/coordination).
-- decisions: the coordinator's outcome of one distributed transaction of an order (apply or reverse),
-- written before phase 2 and never changed. The first writer wins (INSERT ... ON CONFLICT DO NOTHING, then read back): the coordinator, or the recovery sweep
-- presuming abort for an undecided transaction in doubt for too long; both then follow the stored row.
-- participant_states: what a 3PC participant knows about its own prepared transaction, outside it (a
-- prepared transaction's rows are invisible until it commits), so a participant that hears nothing from the
-- coordinator can apply the 3PC timeout rule; `outcome` and `resolved_by` say how it ended.
CREATE SCHEMA IF NOT EXISTS coordination;

CREATE TABLE coordination.decisions (
  order_id   text        NOT NULL,
  kind       text        NOT NULL CHECK (kind IN ('apply', 'reverse')),
  mode       text        NOT NULL CHECK (mode IN ('2pc', '3pc')),
  decision   text        NOT NULL CHECK (decision IN ('commit', 'abort')),
  decided_by text        NOT NULL CHECK (decided_by IN ('coordinator', 'recovery')),
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, kind)
);

CREATE TABLE coordination.participant_states (
  gid         text        PRIMARY KEY,
  order_id    text        NOT NULL,
  participant text        NOT NULL CHECK (participant IN ('orders', 'inventory', 'payments')),
  state       text        NOT NULL CHECK (state IN ('prepared', 'precommitted')),
  timeout_at  timestamptz NOT NULL,
  outcome     text        CHECK (outcome IN ('commit', 'abort')),
  resolved_by text        CHECK (resolved_by IN ('coordinator', 'timeout', 'recovery')),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX participant_states_open ON coordination.participant_states (timeout_at) WHERE outcome IS NULL;
