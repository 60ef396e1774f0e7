-- The customer_orders projection updates rows by order id alone (only OrderPlaced carries the customer).
CREATE INDEX customer_orders_order_idx ON orders.customer_orders (order_id);
