-- Event store, transactional outbox, subscriber de-duplication and projection checkpoints: the same
-- tables in each service's own schema (orders, inventory, payments, shipping). See src/eventstore/store.ts.
DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['orders', 'inventory', 'payments', 'shipping'] LOOP
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', s);

    -- one row per stream: its current version, bumped with an optimistic check by every append
    EXECUTE format($f$
      CREATE TABLE %I.streams (
        stream_id  text PRIMARY KEY,
        version    bigint NOT NULL CHECK (version >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )$f$, s);

    -- the log. transaction_id (the writer's xid) makes readAll gap-safe: readers only read rows whose
    -- transaction is below pg_snapshot_xmin, ordered by (transaction_id, global_position).
    EXECUTE format($f$
      CREATE TABLE %I.events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id       text NOT NULL,
        version         bigint NOT NULL CHECK (version >= 1),
        event_id        uuid NOT NULL,
        event_type      text NOT NULL,
        schema_version  integer NOT NULL DEFAULT 1,
        data            jsonb NOT NULL,
        metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
      )$f$, s);
    EXECUTE format('CREATE INDEX events_all_order_idx ON %I.events (transaction_id, global_position)', s);

    -- snapshots of an aggregate's state at a version; snapshot_version is the state's schema version
    EXECUTE format($f$
      CREATE TABLE %I.snapshots (
        stream_id        text NOT NULL,
        snapshot_version integer NOT NULL,
        version          bigint NOT NULL,
        state            jsonb NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, snapshot_version, version)
      )$f$, s);

    -- transactional outbox: written in the append's transaction, delivered by the relay
    EXECUTE format($f$
      CREATE TABLE %I.outbox (
        position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id      uuid NOT NULL,
        topic           text NOT NULL,
        aggregate_id    text NOT NULL,
        payload         jsonb NOT NULL,
        metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at      timestamptz NOT NULL DEFAULT now(),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text,
        delivered_at    timestamptz,
        CONSTRAINT outbox_message_id_key UNIQUE (message_id)
      )$f$, s);
    EXECUTE format(
      'CREATE INDEX outbox_pending_idx ON %I.outbox (aggregate_id, position) WHERE delivered_at IS NULL', s);
    EXECUTE format(
      'CREATE INDEX outbox_pending_created_idx ON %I.outbox (created_at) WHERE delivered_at IS NULL', s);

    -- subscribers record the messages they applied, in the transaction that applies them
    EXECUTE format($f$
      CREATE TABLE %I.processed_messages (
        subscriber   text NOT NULL,
        message_id   uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subscriber, message_id)
      )$f$, s);

    -- per projection and stream: the last version applied (idempotency and in-order application)
    EXECUTE format($f$
      CREATE TABLE %I.projection_checkpoints (
        projection text NOT NULL,
        stream_id  text NOT NULL,
        version    bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, stream_id)
      )$f$, s);
  END LOOP;
END
$$;
