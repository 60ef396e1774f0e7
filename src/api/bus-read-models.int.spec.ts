/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- supertest bodies are untyped JSON */
/**
 * The read models fed from the bus, through the API, on the real stack: Temporal, Postgres, the four workers
 * with their outbox relays publishing to a real Kafka broker (test/support/kafka.ts) and their consumer groups
 * (two members each) reading it. Nothing is stubbed. A broker restart in the middle of a run loses nothing
 * and applies nothing twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { EVENT_TOPICS } from '../bus/topics';
import { orderIdOf } from '../bus/event-message';
import { itemStreamId } from '../domain/inventory';
import type { EventEnvelope } from '../eventstore';
import { eventually } from '../../test/support/eventually';
import { dumpTopic } from '../../test/support/topic-dump';
import {
  bearer,
  orderBody,
  placeOrder,
  startApiStack,
  token,
  type ApiStack,
} from '../../test/support/api-stack';

const SCHEMAS = ['orders', 'inventory', 'payments', 'shipping'] as const;

describe(
  'bus read models: order timeline and SKU demand through the API (real broker)',
  { timeout: 900_000 },
  () => {
    let s: ApiStack;
    before(async () => {
      s = await startApiStack({ bus: true });
    });
    after(async () => {
      await s?.stop();
    });

    /** every integration event of the order the four services wrote to their outboxes */
    async function outboxEventsOf(orderId: string): Promise<EventEnvelope[]> {
      const all: EventEnvelope[] = [];
      for (const schema of SCHEMAS) {
        const r = await s.stack.pool.query<{ payload: EventEnvelope }>(
          `SELECT payload FROM ${schema}.outbox`,
        );
        all.push(...r.rows.map((x) => x.payload).filter((e) => orderIdOf(e) === orderId));
      }
      return all;
    }

    /** the demand a fold of the SKU's event log gives */
    async function foldDemand(sku: string) {
      const r = await s.stack.pool.query<{ event_type: string; data: { quantity: number } }>(
        `SELECT event_type, data FROM inventory.events WHERE stream_id = $1`,
        [itemStreamId(sku)],
      );
      const sum = (t: string) =>
        r.rows.filter((e) => e.event_type === t).reduce((n, e) => n + e.data.quantity, 0);
      const reserved = sum('StockReserved');
      const released = sum('StockReleased');
      const shipped = sum('StockCommitted');
      return { sku, reserved, released, shipped, outstanding: reserved - released - shipped };
    }

    async function completedOrder(sku: string) {
      const customer = await s.newCustomer();
      const res = await placeOrder(s.fastApp, customer, orderBody(sku, 2)).expect(202);
      await s.sagaEnd(res.body.workflowId);
      return { orderId: res.body.orderId as string, customer };
    }

    async function timelineEquals(orderId: string, t: string) {
      const expected = await outboxEventsOf(orderId);
      return eventually(
        async () => {
          const res = await request(s.app).get(`/orders/${orderId}/timeline`).set(bearer(t)).expect(200);
          const ids: string[] = res.body.items.map((e: { eventId: string }) => e.eventId);
          assert.deepEqual([...ids].sort(), expected.map((e) => e.eventId).sort());
          return res.body.items as { eventId: string; service: string; streamId: string; version: number }[];
        },
        { what: `the timeline of ${orderId} holds every event of the order`, timeoutMs: 180_000 },
      );
    }

    it('GET /orders/{id}/timeline lists every service’s events of the order once, each stream in version order', async () => {
      const { sku } = await s.newItem();
      const { orderId, customer } = await completedOrder(sku);
      const items = await timelineEquals(orderId, customer.token);
      assert.deepEqual(new Set(items.map((e) => e.service)), new Set(SCHEMAS), 'all four services');
      const byStream = new Map<string, number[]>();
      for (const e of items) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.version]);
      for (const [stream, versions] of byStream)
        assert.deepEqual(
          versions,
          [...versions].sort((a, b) => a - b),
          `${stream} in version order`,
        );
      assert.equal(items[0]!.service, 'orders', 'the order was placed first');

      const stranger = await token('someone-else');
      await request(s.app).get(`/orders/${orderId}/timeline`).set(bearer(stranger)).expect(404);
      await request(s.app).get(`/orders/${orderId}/timeline`).set(bearer(s.admin)).expect(200);
    });

    it('GET /inventory/{sku}/demand merges the consumer slots to the fold of the inventory event log', async () => {
      const { sku } = await s.newItem({ stock: 100 });
      await completedOrder(sku);
      await completedOrder(sku);
      const fold = await foldDemand(sku);
      assert.ok(fold.reserved >= 4, `reserved ${fold.reserved}`);
      await eventually(
        async () => {
          const res = await request(s.app).get(`/inventory/${sku}/demand`).set(bearer(s.admin)).expect(200);
          const { slots: _slots, ...counts } = res.body;
          assert.deepEqual(counts, fold);
        },
        { what: `the demand of ${sku} equals the log fold`, timeoutMs: 180_000 },
      );
      const unknown = await request(s.app).get('/inventory/SKU-NOPE-0/demand').set(bearer(s.admin));
      assert.equal(unknown.status, 404);
    });

    it('a broker restart during a run loses nothing and applies nothing twice', async () => {
      const kafka = s.stack.kafka!;
      const { sku } = await s.newItem({ stock: 100 });
      const before = await completedOrder(sku);
      await kafka.stop();
      // the saga goes on while the bus is down: the events wait in the outboxes
      const during = await completedOrder(sku);
      await kafka.start();
      const afterRestart = await completedOrder(sku);
      for (const o of [before, during, afterRestart]) await timelineEquals(o.orderId, o.customer.token);
      const fold = await foldDemand(sku);
      await eventually(
        async () => {
          const res = await request(s.app).get(`/inventory/${sku}/demand`).set(bearer(s.admin)).expect(200);
          const { slots: _slots, ...counts } = res.body;
          assert.deepEqual(counts, fold);
        },
        { what: `the demand of ${sku} equals the log fold`, timeoutMs: 180_000 },
      );
      // an independent reader of the topics (its own group, nothing of the project's consumer) sees every
      // event of these orders exactly once, in version order per key
      const expected = new Set(
        (await Promise.all([before, during, afterRestart].map((o) => outboxEventsOf(o.orderId))))
          .flat()
          .map((e) => e.eventId),
      );
      const seen = new Map<string, number>();
      for (const topic of EVENT_TOPICS) {
        const lastVersion = new Map<string, number>();
        for (const m of await dumpTopic(kafka.brokers, topic)) {
          const env = JSON.parse(m.value) as EventEnvelope;
          const prev = lastVersion.get(m.key) ?? 0;
          assert.ok(env.version > prev, `${topic} ${m.key}: version ${env.version} after ${prev}`);
          lastVersion.set(m.key, env.version);
          seen.set(env.eventId, (seen.get(env.eventId) ?? 0) + 1);
        }
      }
      for (const id of expected) assert.equal(seen.get(id), 1, `event ${id} in the topic once`);
      for (const [id, n] of seen) assert.equal(n, 1, `event ${id} written ${n} times`);
    });
  },
);
