/** The store's health check: append and read back, relay lag, projection lag from the checkpoints. */
import assert from 'node:assert/strict';
import { eventStoreFixture } from '../../test/support/event-store';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Pool } from 'pg';
import { checkEventStoreHealth } from './health';
import { added } from '../../test/support/tally';
import type { EventStore } from './types';

/** the orders schema's read models, as the API's wiring names them */
const ORDER_MODELS = {
  projections: ['order_summary', 'customer_orders', 'order_analytics'],
  streamPrefix: 'order-',
};

describe('event store health (real Postgres)', () => {
  let pool: Pool;
  let store: EventStore;

  eventStoreFixture({}, (f) => ({ pool, store } = f));

  it('the health check writes and reads back a health event and reports relay and projection lag', async () => {
    const orderStream = `order-${randomUUID()}`;
    await store.append(orderStream, 'no_stream', [added(1)], { publish: true });
    await pool.query(
      `INSERT INTO orders.outbox (message_id, topic, aggregate_id, payload, created_at, attempts, last_error)
       VALUES ($1, 'orders.Old', 'x', '{}', now() - interval '5 minutes', 2, 'subscriber down')`,
      [randomUUID()],
    );
    const h = await checkEventStoreHealth(pool, 'orders', ORDER_MODELS);
    assert.equal(h.ok, true, h.error);
    assert.ok(h.appendMs >= 0 && h.readBackMs >= 0);
    assert.ok(h.relay.undelivered >= 2);
    assert.ok(h.relay.lagSeconds >= 300);
    assert.equal(h.relay.failing, 1);
    assert.equal(h.relay.lastError, 'subscriber down');
    // no relay runs in this file: the order stream is behind in every projection
    for (const name of ['order_summary', 'customer_orders', 'order_analytics']) {
      assert.ok(h.projections[name]!.streamsBehind >= 1, name);
    }
    const again = await checkEventStoreHealth(pool, 'orders', ORDER_MODELS);
    const events = await store.readStream('$health');
    assert.ok(events.length >= 2 && events.every((e) => e.type === 'HealthChecked'));
    assert.equal(again.ok, true);
    await pool.query("DELETE FROM orders.outbox WHERE topic = 'orders.Old'");
  });

  it('projection lag is read from the checkpoints against the log: delivered but unapplied events count; beyond the newest events looked at, only the undelivered do', async () => {
    const prefix = `lagprobe-${randomUUID()}-`;
    const lagOf = async (tail?: number) =>
      (
        await checkEventStoreHealth(pool, 'orders', {
          projections: ['lag_probe'],
          streamPrefix: prefix,
          ...(tail ? { tail } : {}),
        })
      ).projections.lag_probe!;
    const checkpoint = (stream: string, version: number) =>
      pool.query(
        `INSERT INTO orders.projection_checkpoints (projection, stream_id, version) VALUES ('lag_probe', $1, $2)
         ON CONFLICT (projection, stream_id) DO UPDATE SET version = $2`,
        [stream, version],
      );
    const a = `${prefix}a`;
    await store.append(a, 'no_stream', [added(1), added(2)], { publish: true });
    // a relay delivered them without this projection: the outbox is done, the checkpoint never moved
    await pool.query('UPDATE orders.outbox SET delivered_at = now() WHERE aggregate_id = $1', [a]);
    await pool.query(
      "UPDATE orders.events SET recorded_at = now() - interval '5 minutes' WHERE stream_id = $1",
      [a],
    );
    const stopped = await lagOf();
    assert.equal(stopped.streamsBehind, 1);
    assert.ok(stopped.lagSeconds >= 300, String(stopped.lagSeconds));
    await checkpoint(a, 1);
    assert.equal((await lagOf()).streamsBehind, 1, 'version 2 is still past the checkpoint');
    await checkpoint(a, 2);
    assert.deepEqual(await lagOf(), { streamsBehind: 0, lagSeconds: 0 });

    // b is older than the newest two events (c's), and its outbox row is still undelivered: it counts
    const b = `${prefix}b`;
    const c = `${prefix}c`;
    await store.append(b, 'no_stream', [added(3)], { publish: true });
    await store.append(c, 'no_stream', [added(4), added(5)], { publish: true });
    await checkpoint(c, 2);
    assert.equal((await lagOf(2)).streamsBehind, 1);
    // once delivered, b is only found among the newest events: a projection that skipped it while applying
    // everything after it would be missed with a tail of two (the default looks at 1000)
    await pool.query('UPDATE orders.outbox SET delivered_at = now() WHERE aggregate_id = ANY($1)', [[b, c]]);
    assert.equal((await lagOf(2)).streamsBehind, 0);
    assert.equal((await lagOf()).streamsBehind, 1);
  });
});
