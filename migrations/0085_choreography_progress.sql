-- choreography_progress: one row per choreographed order, kept by the orders service beside the saga's stream
-- (src/services/orders/choreography.ts): its saga state, when it last progressed and until when it may stay
-- there (progressed_at + that state's deadline; NULL once the saga has ended), and what a list row shows. An
-- order whose due_at lies more than a grace in the past is stuck: /health, the orders_stuck gauge and
-- GET /orders?status=STUCK read this table, not the read models, whose projection may be what is stuck.
-- `events` counts the saga's events, so an older write (a reaction retried late) never overwrites a newer one.
CREATE TABLE orders.choreography_progress (
  order_id      text        PRIMARY KEY,
  customer_id   text        NOT NULL,
  total         bigint      NOT NULL,
  currency      text        NOT NULL,
  item_count    integer     NOT NULL,
  created_at    timestamptz NOT NULL,
  state         text        NOT NULL,
  events        integer     NOT NULL,
  progressed_at timestamptz NOT NULL,
  due_at        timestamptz
);
CREATE INDEX choreography_progress_due_idx ON orders.choreography_progress (due_at) WHERE due_at IS NOT NULL;
