-- Projections in SQL (src/eventstore/projections/projection.ts). Applying an event to a read model used to
-- take a round trip per statement: about nine per order event for the three order read models, in the
-- relay's transaction. Now the relay runs one statement per event: the projections' checkpoints, the
-- read-model writes and the outbox "delivered" mark (bench/README.md has the numbers).
--
-- In every event-store schema:
--   advance_projections(names, stream_id, version) → the names whose checkpoint moved to `version`
--     The per-stream checkpoint of each projection is the last version it applied. A name at version - 1
--     moves to version (it applies this event); a name at or past version skips it (a redelivery); a name
--     below version - 1 raises SQLSTATE OSG01 (a gap: the missing event is waited for, never skipped; the
--     whole statement rolls back). Takes the shared advisory lock of each projection first: live deliveries
--     run in parallel, a rebuild holds it exclusively.
--   apply_projections(names, functions, stream_id, version, type, data, recorded_at) → applied names
--     advance_projections, then the SQL function of each name that applies the event (names[i] has
--     functions[i], a schema-qualified function taking (stream_id, version, type, data, recorded_at); NULL
--     for a projection written in TypeScript, which the caller applies to the returned names itself).
DO $do$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['orders', 'inventory', 'payments', 'shipping'] LOOP
    EXECUTE format($f$
      CREATE FUNCTION %1$I.advance_projections(p_names text[], p_stream_id text, p_version bigint)
      RETURNS text[] LANGUAGE plpgsql AS $body$
      DECLARE
        v_names text[] := ARRAY(SELECT DISTINCT n FROM unnest(p_names) n ORDER BY n);
        v_applied text[];
        v_behind record;
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(7294200, hashtext(n)) FROM unnest(v_names) n;
        IF p_version = 1 THEN
          WITH moved AS (
            INSERT INTO %1$I.projection_checkpoints AS c (projection, stream_id, version)
            SELECT n, p_stream_id, 1 FROM unnest(v_names) n ORDER BY n
            ON CONFLICT (projection, stream_id) DO UPDATE SET version = 1, updated_at = now()
              WHERE c.version = 0
            RETURNING projection)
          SELECT coalesce(array_agg(projection), '{}') INTO v_applied FROM moved;
        ELSE
          WITH moved AS (
            UPDATE %1$I.projection_checkpoints SET version = p_version, updated_at = now()
            WHERE projection = ANY (v_names) AND stream_id = p_stream_id AND version = p_version - 1
            RETURNING projection)
          SELECT coalesce(array_agg(projection), '{}') INTO v_applied FROM moved;
        END IF;
        IF cardinality(v_applied) < cardinality(v_names) THEN
          FOR v_behind IN
            SELECT n AS projection, coalesce(c.version, 0) AS version
            FROM unnest(v_names) n
            LEFT JOIN %1$I.projection_checkpoints c ON c.projection = n AND c.stream_id = p_stream_id
            WHERE n <> ALL (v_applied) AND coalesce(c.version, 0) < p_version - 1
            ORDER BY n LIMIT 1
          LOOP
            RAISE EXCEPTION '%%: %% is at version %%, received %%; waiting for the gap',
              v_behind.projection, p_stream_id, v_behind.version, p_version
              USING ERRCODE = 'OSG01',
                    DETAIL = json_build_object('projection', v_behind.projection, 'streamId', p_stream_id,
                                               'applied', v_behind.version, 'received', p_version)::text;
          END LOOP;
        END IF;
        RETURN v_applied;
      END
      $body$
    $f$, s);

    EXECUTE format($f$
      CREATE FUNCTION %1$I.apply_projections(p_names text[], p_functions text[], p_stream_id text,
        p_version bigint, p_type text, p_data jsonb, p_recorded_at timestamptz)
      RETURNS text[] LANGUAGE plpgsql AS $body$
      DECLARE
        v_applied text[];
        i int;
      BEGIN
        IF cardinality(p_names) <> cardinality(p_functions) THEN
          RAISE EXCEPTION 'apply_projections: %% names, %% functions', cardinality(p_names), cardinality(p_functions);
        END IF;
        v_applied := %1$I.advance_projections(p_names, p_stream_id, p_version);
        FOR i IN 1 .. cardinality(p_names) LOOP
          CONTINUE WHEN p_functions[i] IS NULL OR p_names[i] <> ALL (v_applied);
          EXECUTE format('SELECT %%s($1, $2, $3, $4, $5)', p_functions[i]::regproc)
            USING p_stream_id, p_version, p_type, p_data, p_recorded_at;
        END LOOP;
        RETURN v_applied;
      END
      $body$
    $f$, s);
  END LOOP;
END
$do$;

-- The order read models (tables: 0002). Each function applies one Order event to its model; the pure
-- TypeScript functions orderProgress, itemsOf and orderEventTime (src/eventstore/projections/orders.ts) are
-- the same mapping, and orders.int.spec.ts checks the models against a fold of them over the log.

-- Where an order stands after an event: (status, saga state, failure reason); no row for OrderPlaced and for
-- types that do not move the order.
CREATE FUNCTION orders.order_progress(p_type text, p_data jsonb)
RETURNS TABLE (status text, saga_state text, failure_reason text) LANGUAGE sql IMMUTABLE AS $$
  SELECT x.status, x.saga_state, CASE WHEN x.has_reason THEN p_data ->> 'reason' END
  FROM (VALUES
    ('OrderInventoryReserved', 'PENDING', 'INVENTORY_RESERVED', false),
    ('OrderPaid', 'PENDING', 'PAYMENT_COMPLETED', false),
    ('OrderShipped', 'PENDING', 'ORDER_SHIPPED', false),
    ('OrderCompleted', 'COMPLETED', 'COMPLETED', false),
    ('OrderFailed', 'FAILED', 'FAILED', true),
    ('OrderCancelled', 'CANCELLED', 'CANCELLED', true)
  ) AS x(type, status, saga_state, has_reason)
  WHERE x.type = p_type
$$;

-- The time an event happened: its `at` (or `placedAt`), else when it was recorded.
CREATE FUNCTION orders.order_event_time(p_data jsonb, p_recorded_at timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p_data -> 'at') = 'string' THEN (p_data ->> 'at')::timestamptz
    WHEN jsonb_typeof(p_data -> 'placedAt') = 'string' THEN (p_data ->> 'placedAt')::timestamptz
    ELSE p_recorded_at
  END
$$;

-- OrderPlaced's lines as the read models store them: [{sku, quantity, unitPrice, lineTotal}].
CREATE FUNCTION orders.order_items(p_data jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'sku', l -> 'sku', 'quantity', l -> 'quantity', 'unitPrice', l -> 'unitPrice',
           'lineTotal', (l ->> 'quantity')::numeric * (l ->> 'unitPrice')::numeric) ORDER BY o), '[]')
  FROM jsonb_array_elements(p_data -> 'lines') WITH ORDINALITY AS x(l, o)
$$;

CREATE FUNCTION orders.project_order_summary(p_stream_id text, p_version bigint, p_type text, p_data jsonb,
  p_recorded_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_order_id text := substr(p_stream_id, length('order-') + 1);
  p record;
BEGIN
  IF p_type = 'OrderPlaced' THEN
    INSERT INTO orders.order_summary (order_id, customer_id, status, saga_state, items, total, currency,
      shipping_address, failure_reason, created_at, updated_at, last_version)
    VALUES (v_order_id, p_data ->> 'customerId', 'PENDING', 'ORDER_PLACED', orders.order_items(p_data),
      (p_data ->> 'total')::bigint, p_data ->> 'currency', p_data -> 'shippingAddress', NULL,
      (p_data ->> 'placedAt')::timestamptz, (p_data ->> 'placedAt')::timestamptz, p_version)
    ON CONFLICT (order_id) DO NOTHING;
    RETURN;
  END IF;
  SELECT * INTO p FROM orders.order_progress(p_type, p_data);
  IF NOT FOUND THEN
    UPDATE orders.order_summary SET last_version = p_version WHERE order_id = v_order_id;
    RETURN;
  END IF;
  UPDATE orders.order_summary
  SET status = p.status, saga_state = p.saga_state, failure_reason = coalesce(p.failure_reason, failure_reason),
      updated_at = orders.order_event_time(p_data, p_recorded_at), last_version = p_version
  WHERE order_id = v_order_id;
END
$$;

CREATE FUNCTION orders.project_customer_orders(p_stream_id text, p_version bigint, p_type text, p_data jsonb,
  p_recorded_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_order_id text := substr(p_stream_id, length('order-') + 1);
  p record;
BEGIN
  IF p_type = 'OrderPlaced' THEN
    INSERT INTO orders.customer_orders (customer_id, order_id, status, saga_state, total, currency, item_count,
      created_at, updated_at)
    VALUES (p_data ->> 'customerId', v_order_id, 'PENDING', 'ORDER_PLACED', (p_data ->> 'total')::bigint,
      p_data ->> 'currency', jsonb_array_length(p_data -> 'lines'), (p_data ->> 'placedAt')::timestamptz,
      (p_data ->> 'placedAt')::timestamptz)
    ON CONFLICT (customer_id, order_id) DO NOTHING;
    RETURN;
  END IF;
  SELECT * INTO p FROM orders.order_progress(p_type, p_data);
  IF NOT FOUND THEN
    RETURN;
  END IF;
  UPDATE orders.customer_orders
  SET status = p.status, saga_state = p.saga_state, updated_at = orders.order_event_time(p_data, p_recorded_at)
  WHERE order_id = v_order_id;
END
$$;

-- orders and revenue per (day placed, status); quantity, revenue and orders per SKU over orders that are not
-- failed or cancelled (p_sign 1 adds an order's lines, -1 takes them away)
CREATE FUNCTION orders.order_analytics_bump(p_day date, p_status text, p_orders bigint, p_revenue bigint)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO orders.order_analytics_daily AS d (day, status, orders, revenue)
  VALUES (p_day, p_status, p_orders, p_revenue)
  ON CONFLICT (day, status) DO UPDATE SET orders = d.orders + excluded.orders, revenue = d.revenue + excluded.revenue
$$;

CREATE FUNCTION orders.order_analytics_bump_skus(p_items jsonb, p_sign bigint)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO orders.order_analytics_skus AS s (sku, quantity, revenue, orders)
  SELECT i ->> 'sku', p_sign * (i ->> 'quantity')::bigint, p_sign * (i ->> 'lineTotal')::bigint, p_sign
  FROM jsonb_array_elements(p_items) i
  ON CONFLICT (sku) DO UPDATE SET quantity = s.quantity + excluded.quantity,
    revenue = s.revenue + excluded.revenue, orders = s.orders + excluded.orders
$$;

CREATE FUNCTION orders.project_order_analytics(p_stream_id text, p_version bigint, p_type text, p_data jsonb,
  p_recorded_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_order_id text := substr(p_stream_id, length('order-') + 1);
  v_items jsonb;
  v_day date;
  p record;
  o record;
BEGIN
  IF p_type = 'OrderPlaced' THEN
    v_items := orders.order_items(p_data);
    INSERT INTO orders.order_analytics_orders (order_id, day, status, total, lines)
    VALUES (v_order_id, ((p_data ->> 'placedAt')::timestamptz AT TIME ZONE 'UTC')::date, 'PENDING',
      (p_data ->> 'total')::bigint, v_items)
    ON CONFLICT (order_id) DO NOTHING
    RETURNING day INTO v_day;
    IF v_day IS NULL THEN
      RETURN;
    END IF;
    PERFORM orders.order_analytics_bump(v_day, 'PENDING', 1, (p_data ->> 'total')::bigint);
    PERFORM orders.order_analytics_bump_skus(v_items, 1);
    RETURN;
  END IF;
  SELECT * INTO p FROM orders.order_progress(p_type, p_data);
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT a.day, a.status, a.total, a.lines INTO o
  FROM orders.order_analytics_orders a WHERE a.order_id = v_order_id FOR UPDATE;
  IF NOT FOUND OR o.status = p.status THEN
    RETURN;
  END IF;
  PERFORM orders.order_analytics_bump(o.day, o.status, -1, -o.total);
  PERFORM orders.order_analytics_bump(o.day, p.status, 1, o.total);
  IF o.status NOT IN ('FAILED', 'CANCELLED') AND p.status IN ('FAILED', 'CANCELLED') THEN
    PERFORM orders.order_analytics_bump_skus(o.lines, -1);
  ELSIF o.status IN ('FAILED', 'CANCELLED') AND p.status NOT IN ('FAILED', 'CANCELLED') THEN
    PERFORM orders.order_analytics_bump_skus(o.lines, 1);
  END IF;
  UPDATE orders.order_analytics_orders SET status = p.status WHERE order_id = v_order_id;
END
$$;
