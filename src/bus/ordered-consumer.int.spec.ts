import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Producer, stringSerializers } from '@platformatic/kafka';
import type { Pool } from 'pg';
import { eventually } from '../../test/support/eventually';
import { startTestKafka, type TestKafka } from '../../test/support/kafka';
import { startTestPostgres } from '../../test/support/stack';
import { dumpTopic } from '../../test/support/topic-dump';
import { within } from '../../test/support/within';
import { createPool } from '../db/pool';
import type { EventEnvelope } from '../eventstore';
import type { RunningPostgres } from '../platform/postgres';
import { ensureTopics } from './admin';
import { deadLetterTopic, DEAD_LETTER_HEADERS } from './dead-letter';
import { startOrderedConsumer, type OrderedConsumer } from './ordered-consumer';
import { createBusProducer, type BusMessage } from './producer';
import { startTogether } from '../../test/support/start-together';

const SCHEMA = 'payments';

function eventFor(topic: string, streamId: string, version: number, type = 'Counted'): BusMessage {
  const env: EventEnvelope = {
    eventId: randomUUID(),
    streamId,
    version,
    type,
    schemaVersion: 1,
    data: { n: version },
    metadata: { correlationId: 'o-1' },
    recordedAt: new Date().toISOString(),
  };
  return {
    topic,
    key: streamId,
    value: JSON.stringify(env),
    headers: { eventId: env.eventId, type, schemaVersion: 1, correlationId: 'o-1' },
  };
}

describe('ordered bus consumer: per-stream order made durable, dead letters', { timeout: 900_000 }, () => {
  let kafka: TestKafka;
  let pg: RunningPostgres;
  let pool: Pool;
  const consumers: OrderedConsumer[] = [];

  /** a topic, a consumer group over it that records what it applies, and a producer to it */
  async function setup(
    opts: { poison?: (type: string) => boolean; maxTries?: number; partitions?: number } = {},
  ) {
    const topic = `t-${randomUUID().slice(0, 8)}`;
    const name = `c-${randomUUID().slice(0, 8)}`;
    await ensureTopics({ brokers: kafka.brokers, topics: [topic], partitions: opts.partitions ?? 2 });
    const consumer = startOrderedConsumer({
      brokers: kafka.brokers,
      pool,
      schema: SCHEMA,
      name,
      instance: '0',
      topics: [topic],
      maxTries: opts.maxTries ?? 3,
      retryDelayMs: () => 20,
      sessionTimeoutMs: 6000,
      apply: async (client, e) => {
        if (opts.poison?.(e.envelope.type)) throw new Error(`cannot apply ${e.envelope.type}`);
        await client.query(
          `INSERT INTO payments.bus_test_applied (consumer, stream_id, version, event_id) VALUES ($1, $2, $3, $4)`,
          [name, e.envelope.streamId, e.envelope.version, e.envelope.eventId],
        );
      },
    });
    consumers.push(consumer);
    const producer = createBusProducer({ brokers: kafka.brokers, clientId: 'test' });
    return { topic, name, consumer, producer };
  }

  const applied = async (name: string, streamId: string) =>
    (
      await pool.query<{ version: string }>(
        `SELECT version FROM payments.bus_test_applied WHERE consumer = $1 AND stream_id = $2 ORDER BY seq`,
        [name, streamId],
      )
    ).rows.map((r) => Number(r.version));

  before(async () => {
    [kafka, pg] = await startTogether(startTestKafka(), startTestPostgres());
    pool = createPool(pg.url, { max: 10 });
    await pool.query(
      `CREATE TABLE payments.bus_test_applied (seq bigserial, consumer text, stream_id text, version int, event_id text)`,
    );
  });
  after(async () => {
    // bounded: a consumer stuck on the broker must not keep the broker, and so this file, alive
    const stops = consumers.map((c, i) => within(c.stop(), 60_000, () => `stop of consumer ${i}`));
    const stopped = await Promise.allSettled(stops);
    await pool?.end();
    await Promise.all([kafka?.dispose(), pg?.stop()]);
    for (const s of stopped) if (s.status === 'rejected') throw s.reason;
  });

  it('applies versions in order: a repeat is ignored, an early one is held until its predecessor arrives', async () => {
    const { topic, name, consumer, producer } = await setup();
    const s = `acct-${randomUUID()}`;
    const v1 = eventFor(topic, s, 1);
    // 1, 1 again (a resend), 3 (early), 2, 4
    await producer.send([v1, v1, eventFor(topic, s, 3), eventFor(topic, s, 2), eventFor(topic, s, 4)]);
    await eventually(async () => assert.deepEqual(await applied(name, s), [1, 2, 3, 4]), {
      timeoutMs: 120_000,
    });
    const st = consumer.stats();
    assert.equal(st.duplicates, 1, 'the repeated version 1 was ignored');
    assert.equal(st.held, 1, 'version 3 was held');
    const cp = await pool.query(
      `SELECT version FROM payments.bus_checkpoints WHERE consumer = $1 AND stream_id = $2`,
      [name, s],
    );
    assert.equal(Number(cp.rows[0].version), 4);
    const held = await pool.query(`SELECT count(*)::int AS n FROM payments.bus_held WHERE consumer = $1`, [
      name,
    ]);
    assert.equal(held.rows[0].n, 0, 'nothing left held');
    await producer.close();
  });

  it('a held event survives a restart of the consumer (it is in Postgres, not in memory)', async () => {
    const { topic, name, consumer, producer } = await setup();
    const s = `acct-${randomUUID()}`;
    await producer.send([eventFor(topic, s, 1), eventFor(topic, s, 3)]);
    await eventually(() => assert.equal(consumer.stats().held, 1), { timeoutMs: 120_000 });
    await consumer.stop();
    const again = startOrderedConsumer({
      brokers: kafka.brokers,
      pool,
      schema: SCHEMA,
      name,
      instance: '1',
      topics: [topic],
      apply: async (client, e) => {
        await client.query(
          `INSERT INTO payments.bus_test_applied (consumer, stream_id, version, event_id) VALUES ($1, $2, $3, $4)`,
          [name, e.envelope.streamId, e.envelope.version, e.envelope.eventId],
        );
      },
    });
    consumers.push(again);
    await producer.send([eventFor(topic, s, 2)]);
    await eventually(async () => assert.deepEqual(await applied(name, s), [1, 2, 3]), { timeoutMs: 120_000 });
    await producer.close();
  });

  it('a poison message goes to the dead-letter topic after its tries; the stream and the partition go on', async () => {
    const { topic, name, consumer, producer } = await setup({
      poison: (t) => t === 'Poison',
      maxTries: 3,
      partitions: 1,
    });
    const s = `acct-${randomUUID()}`;
    const other = `acct-${randomUUID()}`;
    await producer.send([
      eventFor(topic, s, 1),
      eventFor(topic, s, 2, 'Poison'),
      eventFor(topic, s, 3),
      eventFor(topic, other, 1),
    ]);
    await eventually(async () => assert.deepEqual(await applied(name, s), [1, 3]), { timeoutMs: 120_000 });
    await eventually(async () => assert.deepEqual(await applied(name, other), [1]), { timeoutMs: 60_000 });
    assert.equal(consumer.stats().deadLetters, 1);
    assert.equal(consumer.stats().failedTries, 3, 'tried three times');
    const rows = await pool.query<{ version: string; error: string }>(
      `SELECT version, error FROM payments.bus_dead_letters WHERE consumer = $1`,
      [name],
    );
    assert.equal(rows.rows.length, 1);
    assert.equal(Number(rows.rows[0]!.version), 2);
    assert.match(rows.rows[0]!.error, /cannot apply Poison/);
    const dlq = await dumpTopic(kafka.brokers, deadLetterTopic(name));
    assert.equal(dlq.length, 1);
    assert.equal(dlq[0]!.key, s);
    assert.equal(dlq[0]!.headers.get(DEAD_LETTER_HEADERS.tries), '3');
    assert.match(dlq[0]!.headers.get(DEAD_LETTER_HEADERS.reason) ?? '', /cannot apply Poison/);
    await producer.close();
  });

  it('a message without the event headers is dead-lettered at once and the consumer carries on', async () => {
    const { topic, name, consumer, producer } = await setup({ partitions: 1 });
    const plain = new Producer({
      clientId: 'plain',
      bootstrapBrokers: kafka.brokers,
      serializers: stringSerializers,
    });
    await plain.send({ messages: [{ topic, key: 'x', value: 'not an event', partition: 0 }] });
    await plain.close();
    const s = `acct-${randomUUID()}`;
    await producer.send([eventFor(topic, s, 1)]);
    await eventually(async () => assert.deepEqual(await applied(name, s), [1]), { timeoutMs: 120_000 });
    assert.equal(consumer.stats().deadLetters, 1);
    assert.equal(consumer.stats().failedTries, 0, 'not retried: trying again cannot help');
    await producer.close();
  });

  it('keeps consuming after the broker is stopped and started again', async () => {
    const { topic, name, consumer, producer } = await setup();
    const s = `acct-${randomUUID()}`;
    await producer.send([eventFor(topic, s, 1)]);
    await eventually(async () => assert.deepEqual(await applied(name, s), [1]), { timeoutMs: 120_000 });
    await producer.close();
    await kafka.stop();
    await kafka.start();
    const again = createBusProducer({ brokers: kafka.brokers, clientId: 'test-2' });
    await again.send([eventFor(topic, s, 2)]);
    await eventually(async () => assert.deepEqual(await applied(name, s), [1, 2]), { timeoutMs: 180_000 });
    assert.ok(consumer.stats().running);
    await again.close();
  });
});
