-- CQRS read models of the orders service (src/eventstore/projections). Each is rebuilt from the log by
-- `npm run projections:rebuild`; their per-stream checkpoints live in orders.projection_checkpoints.

-- order_summary: one row per order
CREATE TABLE orders.order_summary (
  order_id         text PRIMARY KEY,
  customer_id      text NOT NULL,
  status           text NOT NULL,
  saga_state       text NOT NULL,
  items            jsonb NOT NULL,
  total            bigint NOT NULL,
  currency         text NOT NULL,
  shipping_address jsonb NOT NULL,
  failure_reason   text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  last_version     bigint NOT NULL
);
CREATE INDEX order_summary_list_idx ON orders.order_summary (created_at DESC, order_id DESC);
CREATE INDEX order_summary_status_idx ON orders.order_summary (status, created_at DESC, order_id DESC);

-- customer_orders: a customer's orders, paged newest first with a keyset cursor on (created_at, order_id)
CREATE TABLE orders.customer_orders (
  customer_id  text NOT NULL,
  order_id     text NOT NULL,
  status       text NOT NULL,
  saga_state   text NOT NULL,
  total        bigint NOT NULL,
  currency     text NOT NULL,
  item_count   integer NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (customer_id, order_id)
);
CREATE INDEX customer_orders_page_idx ON orders.customer_orders (customer_id, created_at DESC, order_id DESC);
CREATE INDEX customer_orders_status_idx
  ON orders.customer_orders (customer_id, status, created_at DESC, order_id DESC);

-- order_analytics: orders and revenue per (day the order was placed, current status), and SKUs
CREATE TABLE orders.order_analytics_daily (
  day     date NOT NULL,
  status  text NOT NULL,
  orders  bigint NOT NULL DEFAULT 0,
  revenue bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, status)
);
-- quantity and revenue per SKU over orders that are not failed or cancelled
CREATE TABLE orders.order_analytics_skus (
  sku      text PRIMARY KEY,
  quantity bigint NOT NULL DEFAULT 0,
  revenue  bigint NOT NULL DEFAULT 0,
  orders   bigint NOT NULL DEFAULT 0
);
CREATE INDEX order_analytics_skus_top_idx ON orders.order_analytics_skus (quantity DESC, sku);
-- the analytics projection's own per-order state (it never reads the other read models)
CREATE TABLE orders.order_analytics_orders (
  order_id text PRIMARY KEY,
  day      date NOT NULL,
  status   text NOT NULL,
  total    bigint NOT NULL,
  lines    jsonb NOT NULL
);
