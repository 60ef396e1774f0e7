-- Scheduled messages (src/scheduler): a message to handle at or after its due time, durable in the schema of
-- the service that handles it. Pollers claim due rows with FOR UPDATE SKIP LOCKED and mark them done in the
-- transaction that handles them, so a row is handled once even with several pollers, and a poller that dies
-- mid-handling leaves the row to the next one. A row is cancelled (never handled) by setting cancelled_at.
DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['orders', 'inventory', 'payments', 'shipping'] LOOP
    EXECUTE format($f$
      CREATE TABLE %I.scheduled_messages (
        id           text        PRIMARY KEY,
        kind         text        NOT NULL,
        payload      jsonb       NOT NULL,
        due_at       timestamptz NOT NULL,
        attempts     integer     NOT NULL DEFAULT 0,
        last_error   text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        done_at      timestamptz,
        cancelled_at timestamptz
      )$f$, s);
    EXECUTE format(
      'CREATE INDEX scheduled_messages_due_idx ON %I.scheduled_messages (due_at) WHERE done_at IS NULL AND cancelled_at IS NULL',
      s);
  END LOOP;
END
$$;
