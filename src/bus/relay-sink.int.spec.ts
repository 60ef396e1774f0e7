import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { eventually } from '../../test/support/eventually';
import { startTestKafka, type TestKafka } from '../../test/support/kafka';
import { startTestPostgres } from '../../test/support/stack';
import { dumpTopic, type DumpedMessage } from '../../test/support/topic-dump';
import { createPool } from '../db/pool';
import { createEventStore, startOutboxRelay, type EventStore, type OutboxRelay } from '../eventstore';
import type { RunningPostgres } from '../platform/postgres';
import { ensureTopics } from './admin';
import { toBusMessage } from './event-message';
import { decodeHeaders } from './headers';
import { createBusProducer, type BusProducer } from './producer';
import { createKafkaRelaySink, type RelaySink } from './relay-sink';
import { EVENT_TOPICS } from './topics';
import { startTogether } from '../../test/support/start-together';

const SCHEMA = 'inventory';
const TOPIC = 'inventory.events';

describe('relay → Kafka: the outbox published to <service>.events', { timeout: 900_000 }, () => {
  let kafka: TestKafka;
  let pg: RunningPostgres;
  let pool: Pool;
  let store: EventStore;
  const running: { relay: OutboxRelay; sink: RelaySink }[] = [];

  const startRelay = (brokers: string[], retries?: number, producer?: BusProducer) => {
    const sink = createKafkaRelaySink({
      service: 'inventory',
      brokers,
      ...(retries !== undefined && { retries }),
      ...(producer && { producer }),
    });
    const relay = startOutboxRelay({
      pool,
      schema: SCHEMA,
      subscribers: [sink.subscriber],
      pollIntervalMs: 200,
      backoffMs: 100,
      maxBackoffMs: 1000,
    });
    const r = { relay, sink };
    running.push(r);
    return r;
  };
  const stopRelay = async (r: { relay: OutboxRelay; sink: RelaySink }) => {
    await r.relay.stop();
    await r.sink.close();
    running.splice(running.indexOf(r), 1);
  };

  /** appends `n` events to each of `streams`, one append per event, interleaved */
  async function appendEvents(streams: string[], n: number, from = 0): Promise<void> {
    for (let v = from; v < from + n; v++)
      for (const s of streams)
        await store.append(
          s,
          v,
          [{ type: 'ItemRestocked', data: { sku: s, restockId: `r${v}`, quantity: 1 } }],
          {
            publish: true,
            metadata: { correlationId: `order-of-${s}`, causationId: `cause-${v}`, requestId: `req-${v}` },
          },
        );
  }

  const undelivered = async (streams: string[]) =>
    Number(
      (
        await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM inventory.outbox WHERE delivered_at IS NULL AND aggregate_id = ANY($1)`,
          [streams],
        )
      ).rows[0]!.n,
    );

  /** the topic's messages of these streams, checked: each event once, in version order per key and partition */
  async function assertPublishedOnce(streams: string[], versions: number): Promise<DumpedMessage[]> {
    const mine = (await dumpTopic(kafka.brokers, TOPIC)).filter((m) => streams.includes(m.key));
    const ids = mine.map((m) => decodeHeaders(m.headers).eventId);
    assert.equal(new Set(ids).size, ids.length, 'no event is in the topic twice');
    assert.equal(mine.length, streams.length * versions, 'every event is in the topic');
    for (const s of streams) {
      const ofStream = mine.filter((m) => m.key === s);
      assert.equal(new Set(ofStream.map((m) => m.partition)).size, 1, `${s} stays in one partition`);
      assert.deepEqual(
        ofStream.map((m) => (JSON.parse(m.value) as { version: number }).version),
        Array.from({ length: versions }, (_, i) => i + 1),
        `${s} in version order`,
      );
    }
    return mine;
  }

  before(async () => {
    [kafka, pg] = await startTogether(startTestKafka(), startTestPostgres());
    await ensureTopics({ brokers: kafka.brokers, topics: EVENT_TOPICS, partitions: 3 });
    pool = createPool(pg.url, { max: 10 });
    store = createEventStore({ pool, schema: SCHEMA });
  });
  after(async () => {
    for (const r of [...running]) await stopRelay(r);
    await pool?.end();
    await Promise.all([kafka?.dispose(), pg?.stop()]);
  });

  it('publishes every outbox message once, keyed by stream id, in version order, with its headers; delivered after the ack', async () => {
    const streams = Array.from({ length: 8 }, () => `item-${randomUUID()}`);
    await appendEvents(streams, 5);
    const r = startRelay(kafka.brokers);
    await eventually(async () => assert.equal(await undelivered(streams), 0), { timeoutMs: 120_000 });
    const mine = await assertPublishedOnce(streams, 5);
    const first = mine.find((m) => m.key === streams[0])!;
    const h = decodeHeaders(first.headers);
    const env = JSON.parse(first.value) as { eventId: string; type: string; schemaVersion: number };
    assert.deepEqual(h, {
      eventId: env.eventId,
      type: 'ItemRestocked',
      schemaVersion: 1,
      correlationId: `order-of-${streams[0]}`,
      causationId: 'cause-0',
      requestId: 'req-0',
    });
    assert.ok(r.sink.stats().published >= 40);
    await stopRelay(r);
  });

  it('with the broker down the relay backs off, keeps every message undelivered, and resumes when it is back', async () => {
    const streams = Array.from({ length: 4 }, () => `item-${randomUUID()}`);
    const r = startRelay(kafka.brokers, 1);
    await appendEvents(streams, 2);
    await eventually(async () => assert.equal(await undelivered(streams), 0), { timeoutMs: 120_000 });
    await kafka.stop();
    await appendEvents(streams, 3, 2);
    await eventually(
      async () => {
        const failed = await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM inventory.outbox WHERE aggregate_id = ANY($1) AND attempts > 0 AND delivered_at IS NULL`,
          [streams],
        );
        assert.ok(Number(failed.rows[0]!.n) >= 1, 'a delivery failed and is waiting for its retry');
      },
      { timeoutMs: 120_000 },
    );
    assert.equal(await undelivered(streams), 12, 'nothing marked delivered while the broker is down');
    await kafka.start();
    await eventually(async () => assert.equal(await undelivered(streams), 0), { timeoutMs: 180_000 });
    await assertPublishedOnce(streams, 5);
    await stopRelay(r);
  });

  it('a send that wrote but reported a failure (the producer wrapped to throw once after its ack): the retry finds the message and does not write it again', async () => {
    const streams = [`item-${randomUUID()}`];
    const real = createBusProducer({ brokers: kafka.brokers, clientId: 'lossy' });
    let loseNext = false;
    let lost = 0;
    const lossy: BusProducer = {
      async send(messages) {
        const acks = await real.send(messages);
        if (loseNext) {
          loseNext = false;
          lost += 1;
          throw new Error('connection lost before the acknowledgement');
        }
        return acks;
      },
      close: () => real.close(),
    };
    const r = startRelay(kafka.brokers, undefined, lossy);
    try {
      await appendEvents(streams, 1);
      await eventually(async () => assert.equal(await undelivered(streams), 0), { timeoutMs: 120_000 });
      loseNext = true;
      await appendEvents(streams, 2, 1);
      await eventually(async () => assert.equal(await undelivered(streams), 0), { timeoutMs: 120_000 });
      assert.equal(lost, 1, 'one send wrote and reported a failure');
      assert.equal(r.sink.stats().failedSends, 1);
      assert.ok(r.sink.stats().alreadyPublished >= 1, 'the retry found it written');
      await assertPublishedOnce(streams, 3);
    } finally {
      await stopRelay(r);
    }
  });

  it('a relay that takes over after one crashed between the ack and its mark does not publish that message again', async () => {
    const streams = [`item-${randomUUID()}`];
    await appendEvents(streams, 3);
    // what the crashed relay did: published versions 1 and 2, marked nothing
    const rows = await pool.query<{
      payload: unknown;
      created_at: Date;
      message_id: string;
      aggregate_id: string;
    }>(`SELECT * FROM inventory.outbox WHERE aggregate_id = $1 ORDER BY position LIMIT 2`, streams);
    const early = createBusProducer({ brokers: kafka.brokers, clientId: 'crashed-relay' });
    await early.send(
      rows.rows.map((x, i) =>
        toBusMessage('inventory', {
          id: x.message_id,
          topic: 'inventory.ItemRestocked',
          aggregateId: x.aggregate_id,
          payload: x.payload,
          metadata: {},
          position: i,
          attempts: 0,
          createdAt: x.created_at,
        }),
      ),
    );
    await early.close();
    const r = startRelay(kafka.brokers);
    try {
      await eventually(async () => assert.equal(await undelivered(streams), 0), { timeoutMs: 120_000 });
      assert.equal(r.sink.stats().alreadyPublished, 2, 'the two published ones were recognised');
      await assertPublishedOnce(streams, 3);
    } finally {
      await stopRelay(r);
    }
  });
});
