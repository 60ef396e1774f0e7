-- Bus consumers (src/bus/ordered-consumer.ts): the same three tables in each service's schema, because a
-- consumer keeps its bookkeeping in the database of the service that owns it, next to its effects.
--   bus_checkpoints: per (consumer, stream) the last version applied, advanced in the effect's transaction
--   bus_held:        events that arrived before their predecessor, kept (never skipped) until it is applied
--   bus_dead_letters: messages given up on after the bounded number of tries (also sent to the DLQ topic)
DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['orders', 'inventory', 'payments', 'shipping'] LOOP
    EXECUTE format($f$
      CREATE TABLE %I.bus_checkpoints (
        consumer   text   NOT NULL,
        stream_id  text   NOT NULL,
        version    bigint NOT NULL CHECK (version >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, stream_id)
      )$f$, s);

    EXECUTE format($f$
      CREATE TABLE %I.bus_held (
        consumer    text   NOT NULL,
        stream_id   text   NOT NULL,
        version     bigint NOT NULL CHECK (version >= 1),
        event_id    text   NOT NULL,
        topic       text   NOT NULL,
        envelope    jsonb  NOT NULL,
        headers     jsonb  NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, stream_id, version)
      )$f$, s);

    EXECUTE format($f$
      CREATE TABLE %I.bus_dead_letters (
        consumer   text   NOT NULL,
        topic      text   NOT NULL,
        partition  integer NOT NULL,
        "offset"   bigint NOT NULL,
        event_id   text,
        stream_id  text,
        version    bigint,
        tries      integer NOT NULL,
        error      text   NOT NULL,
        dead_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, topic, partition, "offset")
      )$f$, s);
  END LOOP;
END
$$;

-- The order timeline (orders service): every service's integration events of one order, fed from the bus.
CREATE TABLE orders.order_timeline (
  order_id       text        NOT NULL,
  event_id       text        NOT NULL,
  service        text        NOT NULL,
  stream_id      text        NOT NULL,
  version        bigint      NOT NULL,
  event_type     text        NOT NULL,
  schema_version integer     NOT NULL,
  data           jsonb       NOT NULL,
  causation_id   text,
  request_id     text,
  recorded_at    timestamptz NOT NULL,
  PRIMARY KEY (order_id, event_id)
);
CREATE INDEX order_timeline_order_idx ON orders.order_timeline (order_id, recorded_at, stream_id, version);

-- Per-SKU demand (inventory service): one row per (sku, slot); a slot is one consumer instance's replica of
-- the SKU's counters and is written by that instance only. Merged on read (src/domain/crdt).
CREATE TABLE inventory.demand_slots (
  sku        text   NOT NULL,
  slot       text   NOT NULL,
  reserved   bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  released   bigint NOT NULL DEFAULT 0 CHECK (released >= 0),
  shipped    bigint NOT NULL DEFAULT 0 CHECK (shipped >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, slot)
);
