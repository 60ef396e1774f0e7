/**
 * The chaos oracle can fail, one counter at a time. On a real Postgres, a world of five orders (two
 * completed, one failed after its shipment was created, one failed for lack of funds, one cancelled after
 * payment) is written through the real services (orders, inventory, payments, shipping) in the order the saga
 * runs them, and its read models are fed by the real outbox relays with the order projections. That world
 * breaks no invariant. Each test then clones it (CREATE DATABASE … TEMPLATE), applies one corruption, and
 * asserts the whole counter map: the counter named by the test is above 0 and every other counter is 0.
 * The world's bus is real too: a Kafka broker, the relays' Kafka sink and every consumer group; its topics
 * are read once with the Kafka distribution's console consumer (the broker is not cloned with the database).
 * Stubbed: Temporal (the workflow statuses are given) and the HTTP layer (the services' answers come from
 * the service functions the API routes call).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPool, type Pool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { startThrowawayPostgres, type RunningPostgres } from '../src/platform/postgres';
import { readEventTopics } from './lib/bus-settle';
import { startTestKafka, type TestKafka } from '../test/support/kafka';
import type { BusRead } from './oracle/kafka-read';
import {
  checkInvariants,
  COUNTERS,
  countersOf,
  type Counter,
  type InvariantReport,
  type OracleInput,
} from './invariants';
import { ALICE, answeredKey, buildWorld, O, observe, SKUS } from './test-world';

let server: RunningPostgres;
let admin: pg.Client;
let kafka: TestKafka;
/** the world's event topics as the independent Kafka client read them (the broker is not cloned) */
let worldBus: BusRead;
const urlOf = (db: string) => {
  const u = new URL(server.url);
  u.pathname = `/${db}`;
  return u.toString();
};

let clones = 0;
/** A fresh copy of the world; `corrupt` breaks it; the oracle's report of the result. */
async function corrupted(
  corrupt: (pool: Pool) => Promise<void | Partial<OracleInput>> | void | Partial<OracleInput>,
): Promise<InvariantReport> {
  const db = `oracle_t${++clones}`;
  await admin.query(`CREATE DATABASE ${db} TEMPLATE oracle_world`);
  const pool = createPool(urlOf(db), { max: 4 });
  try {
    const extra = (await corrupt(pool)) ?? {};
    return await checkInvariants(pool, await observe(pool, { bus: worldBus, ...extra }));
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE ${db}`);
  }
}

const covered = new Set<Counter>();
/** the counter moved and no other did */
function assertOnly(r: InvariantReport, counter: Counter) {
  covered.add(counter);
  const got = countersOf(r);
  assert.ok(got[counter] > 0, `${counter} did not move:\n${r.details.join('\n')}`);
  const zeros = Object.fromEntries(COUNTERS.map((c) => [c, 0]));
  assert.deepEqual(got, { ...zeros, [counter]: got[counter] }, r.details.join('\n'));
}

async function append(pool: Pool, schema: string, streamId: string, type: string, data: object, gap = 0) {
  await pool.query(
    `INSERT INTO ${schema}.events (stream_id, version, event_id, event_type, data)
     SELECT $1, coalesce(max(version), 0) + 1 + $5, $2, $3, $4 FROM ${schema}.events WHERE stream_id = $1`,
    [streamId, randomUUID(), type, JSON.stringify(data), gap],
  );
}
const at = () => new Date().toISOString();
const balanceOf = async (pool: Pool, c: string) =>
  (
    await pool.query<{ b: number }>(
      `SELECT (data->>'balanceAfter')::int AS b FROM payments.events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1`,
      [`account-${c}`],
    )
  ).rows[0]!.b;
const setField =
  (schema: string, where: string) =>
  (pool: Pool, field: string, value: unknown, ...params: unknown[]) =>
    pool.query(`UPDATE ${schema}.events SET data = jsonb_set(data, $1, $2::jsonb) WHERE ${where}`, [
      `{${field}}`,
      JSON.stringify(value),
      ...params,
    ]);
const setAccountEvent = setField('payments', `stream_id = $3 AND event_type = $4 AND data->>'orderId' = $5`);
/** Every group runs on the same world, built once for the file. */
const group = (what: string) =>
  `chaos oracle, ${what} (real Postgres, services and relays; Temporal and HTTP stubbed)`;

before(
  async () => {
    kafka = await startTestKafka();
    server = await startThrowawayPostgres({ durability: 'fast' });
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE oracle_world');
    await migrate(urlOf('oracle_world'));
    await buildWorld(urlOf('oracle_world'), kafka.brokers);
    worldBus = await readEventTopics(kafka.brokers);
  },
  { timeout: 300_000 },
);
after(async () => {
  await admin?.end();
  await server?.stop();
  await kafka?.dispose();
});

describe(
  group('the consistent world and the orders: each counter moves on its own corruption'),
  { timeout: 300_000 },
  () => {
    it('the consistent world breaks no invariant: five orders settled, every counter 0', async () => {
      const r = await corrupted(() => undefined);
      assert.deepEqual(countersOf(r), Object.fromEntries(COUNTERS.map((c) => [c, 0])), r.details.join('\n'));
      assert.equal(r.orders, 5);
      assert.equal(r.terminal, 5);
    });

    it('stuck: a saga still Running in Temporal', async () => {
      const ids = Object.values(O);
      const r = await corrupted(() => ({
        workflows: new Map(ids.map((id) => [`order-${id}`, id === O.completed ? 'RUNNING' : 'COMPLETED'])),
      }));
      assertOnly(r, 'stuck');
      assert.deepEqual(r.stuckIds, [O.completed]);
    });

    it('unrecorded: an accepted order whose saga closed but that never reached the orders log', async () => {
      const ghost = randomUUID();
      const ids = [...Object.values(O), ghost];
      const r = await corrupted(async (pool) => {
        await answeredKey(pool, ALICE, ghost);
        return { workflows: new Map(ids.map((id) => [`order-${id}`, 'COMPLETED'])), submitted: ids };
      });
      assertOnly(r, 'unrecorded');
      assert.deepEqual(r.unrecordedIds, [ghost]);
    });
  },
);

describe(group('money and stock: each counter moves on its own corruption'), { timeout: 300_000 }, () => {
  it('doubleCharges: the failed order charged and refunded a second time (net and balances still agree)', async () => {
    const r = await corrupted(async (pool) => {
      const stream = `account-${ALICE}`;
      const bal = await balanceOf(pool, ALICE);
      const d = { customerId: ALICE, orderId: O.failedAfterShipment, amount: 5000, at: at() };
      await append(pool, 'payments', stream, 'AccountCharged', { ...d, balanceAfter: bal - 5000 });
      await append(pool, 'payments', stream, 'AccountRefunded', { ...d, balanceAfter: bal });
    });
    assertOnly(r, 'doubleCharges');
  });

  it("netChargeMismatches: the two completed orders charged each other's amounts (balances still agree)", async () => {
    const r = await corrupted(async (pool) => {
      const stream = `account-${ALICE}`;
      // alice: deposit 100000, charge 4500 (completed), charge 1000 (completedSmall): swap the amounts
      await setAccountEvent(pool, 'amount', 1000, stream, 'AccountCharged', O.completed);
      await setAccountEvent(pool, 'balanceAfter', 99_000, stream, 'AccountCharged', O.completed);
      await setAccountEvent(pool, 'amount', 4500, stream, 'AccountCharged', O.completedSmall);
    });
    assertOnly(r, 'netChargeMismatches');
  });

  it('oversold: a reservation recorded before the restock it took stock from', async () => {
    const r = await corrupted(async (pool) => {
      // item-SKU-B: v1 ItemDefined, v2 ItemRestocked, v3 StockReserved (completed order): swap v2 and v3
      const swap = (from: number, to: number) =>
        pool.query(
          `UPDATE inventory.events SET version = $2 WHERE stream_id = 'item-SKU-B' AND version = $1`,
          [from, to],
        );
      await swap(2, 1000);
      await swap(3, 2);
      await swap(1000, 3);
    });
    assertOnly(r, 'oversold');
  });

  it("negativeStock: the failed order's stock released a second time", async () => {
    const r = await corrupted(async (pool) => {
      await append(pool, 'inventory', `item-${SKUS.b}`, 'StockReleased', {
        sku: SKUS.b,
        orderId: O.failedAfterShipment,
        quantity: 2,
        at: at(),
      });
    });
    assertOnly(r, 'negativeStock');
  });

  it('negativeStock: a stock movement of quantity 0', async () => {
    const r = await corrupted(async (pool) => {
      await append(pool, 'inventory', `item-${SKUS.a}`, 'ItemRestocked', {
        sku: SKUS.a,
        restockId: 'zero',
        quantity: 0,
        at: at(),
      });
    });
    assertOnly(r, 'negativeStock');
  });

  it('moneyDrift: the payments service answers from a snapshot that disagrees with the log', async () => {
    const r = await corrupted(async (pool) => {
      await pool.query(
        `UPDATE payments.snapshots SET state = jsonb_set(state, '{balance}', to_jsonb((state->>'balance')::int + 7))
        WHERE stream_id = $1`,
        [`account-${ALICE}`],
      );
    });
    assertOnly(r, 'moneyDrift');
    assert.equal(r.moneyDrift, 7);
  });

  it('moneyDrift: a recorded balanceAfter that is not the running balance', async () => {
    const r = await corrupted(async (pool) => {
      await setField('payments', `stream_id = $3 AND event_type = 'FundsDeposited'`)(
        pool,
        'balanceAfter',
        100_001,
        `account-${ALICE}`,
      );
    });
    assertOnly(r, 'moneyDrift');
    assert.equal(r.moneyDrift, 1);
  });

  it('stockDrift: the inventory service answers from a snapshot that disagrees with the log', async () => {
    const r = await corrupted(async (pool) => {
      await pool.query(
        `UPDATE inventory.snapshots SET state = jsonb_set(state, '{available}', to_jsonb((state->>'available')::int + 3))
        WHERE stream_id = $1`,
        [`item-${SKUS.a}`],
      );
    });
    assertOnly(r, 'stockDrift');
    assert.equal(r.stockDrift, 3);
  });

  it('stockDrift: no answer from the inventory service for a SKU', async () => {
    const r = await corrupted(async (pool) => {
      const input = await observe(pool);
      input.serviceStock!.set(SKUS.b, undefined);
      return { serviceStock: input.serviceStock! };
    });
    assertOnly(r, 'stockDrift');
  });

  it('reservationMismatches: stock reserved and released for an order the orders log does not have', async () => {
    const r = await corrupted(async (pool) => {
      const d = { sku: SKUS.a, orderId: randomUUID(), quantity: 1 };
      await append(pool, 'inventory', `item-${SKUS.a}`, 'StockReserved', { ...d, at: at() });
      await append(pool, 'inventory', `item-${SKUS.a}`, 'StockReleased', { ...d, at: at() });
    });
    assertOnly(r, 'reservationMismatches');
  });
});

describe(
  group(
    'shipments, logs, outboxes, read models, keys, event types: each counter moves on its own corruption',
  ),
  { timeout: 300_000 },
  () => {
    it("shipmentMismatches: the completed order's shipment is cancelled", async () => {
      const r = await corrupted(async (pool) => {
        await append(pool, 'shipping', `shipment-${O.completed}`, 'ShipmentCancelled', {
          shipmentId: O.completed,
          orderId: O.completed,
          reason: 'x',
          at: at(),
        });
      });
      assertOnly(r, 'shipmentMismatches');
    });

    it('shipmentMismatches: the order records another tracking number than the shipment', async () => {
      const r = await corrupted(async (pool) => {
        await setField('shipping', `stream_id = $3 AND event_type = 'ShipmentDispatched'`)(
          pool,
          'trackingNumber',
          'TRK-OTHER',
          `shipment-${O.completed}`,
        );
      });
      assertOnly(r, 'shipmentMismatches');
    });

    it("streamGaps: an event five versions past its stream's head", async () => {
      const r = await corrupted(async (pool) => {
        await append(
          pool,
          'inventory',
          `item-${SKUS.a}`,
          'ItemUpdated',
          { sku: SKUS.a, name: SKUS.a, price: 1000, at: at() },
          5,
        );
      });
      assertOnly(r, 'streamGaps');
    });

    it('undelivered: an outbox row the relay has not delivered', async () => {
      const r = await corrupted(async (pool) => {
        await pool.query(
          `INSERT INTO shipping.outbox (message_id, topic, aggregate_id, payload) VALUES ($1, 't', 'a', '{}')`,
          [randomUUID()],
        );
      });
      assertOnly(r, 'undelivered');
    });

    const tampers: Record<string, string> = {
      order_summary: `UPDATE orders.order_summary SET shipping_address = shipping_address || '{"city":"Elsewhere"}' WHERE order_id = $1`,
      customer_orders: `UPDATE orders.customer_orders SET item_count = item_count + 1 WHERE order_id = $1`,
      order_analytics_orders: `UPDATE orders.order_analytics_orders SET lines = '[]' WHERE order_id = $1`,
      order_analytics_daily: `UPDATE orders.order_analytics_daily SET revenue = revenue + 1 WHERE status = 'COMPLETED' AND $1::text IS NOT NULL`,
      order_analytics_skus: `UPDATE orders.order_analytics_skus SET revenue = revenue + 1 WHERE sku = 'SKU-A' AND $1::text IS NOT NULL`,
      projection_checkpoints: `UPDATE orders.projection_checkpoints SET version = version - 1 WHERE projection = 'order_summary' AND stream_id = 'order-' || $1`,
    };
    for (const [table, sql] of Object.entries(tampers)) {
      it(`projectionMismatches: a tampered ${table} row differs from the oracle's fold of the log`, async () => {
        const r = await corrupted(async (pool) => {
          const u = await pool.query(sql, [O.completed]);
          assert.ok((u.rowCount ?? 0) > 0, 'the tamper changed a row');
        });
        assertOnly(r, 'projectionMismatches');
        assert.deepEqual(
          Object.entries(r.projectionDetails)
            .filter(([, n]) => n > 0)
            .map(([t]) => t),
          [table],
        );
      });
    }

    it('projectionMismatches: a live order_summary row moved on by a status the log never recorded', async () => {
      const r = await corrupted(async (pool) => {
        await pool.query(
          `UPDATE orders.order_summary SET status = 'COMPLETED', saga_state = 'COMPLETED' WHERE order_id = $1`,
          [O.cancelled],
        );
      });
      assertOnly(r, 'projectionMismatches');
    });

    it('idempotencyViolations: a saga whose Idempotency-Key the gateway has no answer for', async () => {
      const r = await corrupted(async (pool) => {
        await pool.query(`DELETE FROM gateway.idempotency_keys WHERE resource_id = $1`, [O.failedNoFunds]);
      });
      assertOnly(r, 'idempotencyViolations');
    });

    it('idempotencyViolations: one Idempotency-Key answered with two orders', async () => {
      const r = await corrupted(() => ({
        keys: new Map([['k-x', new Set([O.completed, O.cancelled])]]),
      }));
      assertOnly(r, 'idempotencyViolations');
    });

    it('unknownEvents: an event type the oracle does not fold', async () => {
      const r = await corrupted(async (pool) => {
        await append(pool, 'shipping', `shipment-${O.completed}`, 'ShipmentTeleported', {
          orderId: O.completed,
          at: at(),
        });
      });
      assertOnly(r, 'unknownEvents');
    });

    it('unknownEvents: a known type in a stream of another kind (HealthChecked in a shipment stream)', async () => {
      const r = await corrupted(async (pool) => {
        await append(pool, 'shipping', `shipment-${O.completed}`, 'HealthChecked', { at: at() });
      });
      assertOnly(r, 'unknownEvents');
    });

    it('busLost: the timeline consumer never applied the last event of an order stream', async () => {
      const r = await corrupted(async (pool) => {
        await pool.query(
          `DELETE FROM orders.bus_applied WHERE seq = (SELECT max(seq) FROM orders.bus_applied
             WHERE consumer = 'orders.timeline' AND stream_id = $1)`,
          [`order-${O.completed}`],
        );
      });
      assertOnly(r, 'busLost');
    });

    it('busLost: a delivered order event absent from orders.events as the independent client read it', async () => {
      const r = await corrupted(() => ({
        bus: {
          ...worldBus,
          topics: { ...worldBus.topics, 'orders.events': worldBus.topics['orders.events']!.slice(1) },
        },
      }));
      assertOnly(r, 'busLost');
    });

    it('busDuplicatesApplied: the demand consumer applied one inventory event a second time', async () => {
      const r = await corrupted(async (pool) => {
        await pool.query(
          `INSERT INTO inventory.bus_applied (consumer, topic, stream_id, version, event_id)
           SELECT consumer, topic, stream_id, version, event_id FROM inventory.bus_applied
            WHERE consumer = 'inventory.demand' ORDER BY seq DESC LIMIT 1`,
        );
      });
      assertOnly(r, 'busDuplicatesApplied');
    });

    it('busOutOfOrderApplied: the timeline consumer applied version 2 of an order stream before version 1', async () => {
      const r = await corrupted(async (pool) => {
        const q = await pool.query<{ seq: string; version: string; event_id: string }>(
          `SELECT seq, version, event_id FROM orders.bus_applied
            WHERE consumer = 'orders.timeline' AND stream_id = $1 AND version IN (1, 2) ORDER BY seq`,
          [`order-${O.completed}`],
        );
        const [one, two] = q.rows;
        assert.ok(one && two, 'the world has versions 1 and 2 of the order applied');
        const swap = `UPDATE orders.bus_applied SET version = $2, event_id = $3 WHERE seq = $1`;
        await pool.query(swap, [one.seq, two.version, two.event_id]);
        await pool.query(swap, [two.seq, one.version, one.event_id]);
      });
      assertOnly(r, 'busOutOfOrderApplied');
    });

    it('deadLetters: a consumer recorded a dead letter (the event was applied all the same)', async () => {
      const r = await corrupted(async (pool) => {
        await pool.query(
          `INSERT INTO payments.bus_dead_letters (consumer, topic, partition, "offset", event_id, stream_id, version,
             tries, error)
           SELECT consumer, topic, 0, 0, event_id, stream_id, version, 5, 'poison' FROM payments.bus_applied
            ORDER BY seq LIMIT 1`,
        );
      });
      assertOnly(r, 'deadLetters');
    });

    it('demandMismatches: one demand slot counts a unit more reserved than the inventory log', async () => {
      const r = await corrupted(async (pool) => {
        await pool.query(
          `UPDATE inventory.demand_slots SET reserved = reserved + 1
            WHERE (sku, slot) IN (SELECT sku, slot FROM inventory.demand_slots WHERE reserved > 0 LIMIT 1)`,
        );
      });
      assertOnly(r, 'demandMismatches');
    });

    it('every counter has a negative test above', () => {
      assert.deepEqual([...covered].sort(), [...COUNTERS].sort());
    });
  },
);
