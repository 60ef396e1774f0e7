-- Bus consumers' application log (src/bus/ordered-apply.ts): one row per event a consumer applied, written in
-- the transaction that applies it and advances its checkpoint. Append-only, no uniqueness on purpose: it is
-- the record an outside check (the chaos oracle) reads to see that every event was applied once and, per
-- stream, in version order (`seq` is the order of application: a stream's applications are serialised by
-- the lock on its checkpoint row). Duplicates and held events are not applications and leave no row.
DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['orders', 'inventory', 'payments', 'shipping'] LOOP
    EXECUTE format($f$
      CREATE TABLE %I.bus_applied (
        seq        bigserial   PRIMARY KEY,
        consumer   text        NOT NULL,
        topic      text        NOT NULL,
        stream_id  text        NOT NULL,
        version    bigint      NOT NULL,
        event_id   text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )$f$, s);
    EXECUTE format('CREATE INDEX bus_applied_event_idx ON %I.bus_applied (consumer, event_id)', s);
  END LOOP;
END
$$;
