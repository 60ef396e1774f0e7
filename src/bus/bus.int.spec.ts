import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { eventually } from '../../test/support/eventually';
import { startTestKafka, type TestKafka } from '../../test/support/kafka';
import { startKafkaProxy, type KafkaProxy } from '../../test/support/kafka-proxy';
import { freePort } from '../platform/postgres';
import { ensureTopics } from './admin';
import { startBusConsumer, type ConsumedMessage } from './consumer';
import type { EventHeaders } from './headers';
import { createBusProducer, partitionOf, type Acknowledged, type BusMessage } from './producer';
import { EVENT_TOPICS } from './topics';

let kafka: TestKafka;
let proxy: KafkaProxy;

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function event(topic: string, key: string, n: number): BusMessage {
  return {
    topic,
    key,
    value: JSON.stringify({ key, n }),
    headers: {
      eventId: randomUUID(),
      type: 'Counted',
      schemaVersion: 1,
      correlationId: key,
      causationId: `cause-${n}`,
      requestId: `req-${n}`,
    },
  };
}

async function newTopic(partitions = 6): Promise<string> {
  const topic = unique('t');
  await ensureTopics({ brokers: kafka.brokers, topics: [topic], partitions });
  return topic;
}

/** Messages in the topic, by the broker's end offsets (each partition's log holds exactly that many). */
async function messagesInTopic(topic: string): Promise<number> {
  const c = new Consumer({ groupId: unique('probe'), clientId: 'probe', bootstrapBrokers: kafka.brokers });
  try {
    const ends = (await c.listOffsets({ topics: [topic] })).get(topic) ?? [];
    return ends.reduce((sum, o) => sum + Number(o), 0);
  } finally {
    await c.close();
  }
}

/** Consumes the topic with a new group until `count` messages arrived, then leaves. */
async function readTopic(
  topic: string,
  count: number,
  groupId = unique('reader'),
): Promise<ConsumedMessage[]> {
  const seen: ConsumedMessage[] = [];
  const consumer = await startBusConsumer({
    brokers: kafka.brokers,
    groupId,
    clientId: 'reader',
    topics: [topic],
    handle: (m) => void seen.push(m),
  });
  try {
    await eventually(() => assert.ok(seen.length >= count, `${seen.length} of ${count} messages read`), {
      timeoutMs: 120_000,
    });
  } finally {
    await consumer.close();
  }
  return seen;
}

describe('Kafka bus against a real broker', { timeout: 600_000 }, () => {
  before(async () => {
    const proxyPort = await freePort();
    const proxiedPort = await freePort();
    kafka = await startTestKafka({
      extraListeners: [{ name: 'PROXIED', port: proxiedPort, advertised: `127.0.0.1:${proxyPort}` }],
    });
    proxy = await startKafkaProxy(proxyPort, { host: '127.0.0.1', port: proxiedPort });
  });
  after(async () => {
    await proxy?.close();
    await kafka?.dispose();
  });

  it('creates the four <service>.events topics with the configured partitions; again, it changes nothing', async () => {
    await ensureTopics({ brokers: kafka.brokers, topics: EVENT_TOPICS, partitions: 6 });
    const admin = new Admin({ clientId: 'check', bootstrapBrokers: kafka.brokers });
    try {
      const first = await admin.metadata({ topics: [...EVENT_TOPICS], forceUpdate: true });
      assert.deepEqual(EVENT_TOPICS, [
        'orders.events',
        'inventory.events',
        'payments.events',
        'shipping.events',
      ]);
      for (const t of EVENT_TOPICS) assert.equal(first.topics.get(t)?.partitionsCount, 6, t);
      // a second call (another process starting) with another count keeps the topics as they are
      await ensureTopics({ brokers: kafka.brokers, topics: EVENT_TOPICS, partitions: 3 });
      const second = await admin.metadata({ topics: [...EVENT_TOPICS], forceUpdate: true });
      for (const t of EVENT_TOPICS) {
        assert.equal(second.topics.get(t)?.partitionsCount, 6, t);
        assert.equal(second.topics.get(t)?.id, first.topics.get(t)?.id, `${t} was not re-created`);
      }
    } finally {
      await admin.close();
    }
  });

  it("keeps one key's messages in its partition in send order, with their headers, each written once (concurrent sends too)", async () => {
    const topic = await newTopic(6);
    const keys = ['order-a', 'order-b', 'order-c', 'order-d', 'order-e'];
    const sent = keys.flatMap((key) => Array.from({ length: 40 }, (_, n) => event(topic, key, n)));
    // interleave keys, and send in batches of 10, concurrently: the producer must serialise them
    const interleaved = Array.from({ length: 40 }, (_, n) => keys.map((_k, i) => sent[i * 40 + n]!)).flat();
    const producer = createBusProducer({ brokers: kafka.brokers, clientId: 'order-test' });
    try {
      const batches = Array.from({ length: 20 }, (_, b) => interleaved.slice(b * 10, b * 10 + 10));
      const acks = (await Promise.all(batches.map((b) => producer.send(b)))).flat();
      assert.equal(acks.length, 200);
      for (const [i, ack] of acks.entries())
        assert.equal(ack.partition, partitionOf(interleaved[i]!.key, 6), 'partition of the key');
      assert.equal(
        new Set(acks.map((a) => `${a.partition}/${a.offset}`)).size,
        200,
        'one offset per message',
      );
    } finally {
      await producer.close();
    }

    assert.equal(await messagesInTopic(topic), 200, 'the log holds exactly the 200 messages sent');
    const read = await readTopic(topic, 200);
    assert.equal(read.length, 200);
    for (const key of keys) {
      const mine = read.filter((m) => m.key === key);
      assert.deepEqual(
        new Set(mine.map((m) => m.partition)),
        new Set([partitionOf(key, 6)]),
        `${key}: one partition`,
      );
      assert.deepEqual(
        mine.map((m) => (JSON.parse(m.value) as { n: number }).n),
        Array.from({ length: 40 }, (_, n) => n),
        `${key}: in send order`,
      );
      const sentHeaders = sent.filter((m) => m.key === key).map((m) => m.headers);
      assert.deepEqual(
        mine.map((m) => m.headers),
        sentHeaders satisfies EventHeaders[],
        `${key}: headers`,
      );
    }
  });

  it('an acknowledgement lost after the write: the idempotent producer retries and the message is written once (a plain producer writes it twice)', async () => {
    const topic = await newTopic(1);
    const viaProxy = [`127.0.0.1:${proxy.port}`];

    // the bus producer: the client retries the batch with the same sequence number, the broker de-duplicates
    const producer = createBusProducer({ brokers: viaProxy, clientId: 'idempotent-test' });
    try {
      await producer.send([event(topic, 'k', 0)]); // connection and producer id set up
      const before = { requests: proxy.produceRequests, dropped: proxy.droppedAcks };
      proxy.dropNextProduceAck();
      const [ack] = await producer.send([event(topic, 'k', 1)]);
      assert.equal(proxy.droppedAcks - before.dropped, 1, 'an acknowledgement was lost');
      assert.ok(proxy.produceRequests - before.requests >= 2, 'the batch was sent again');
      assert.equal(ack?.offset, 1n, 'acknowledged at the offset of its first write');
    } finally {
      await producer.close();
    }
    assert.equal(await messagesInTopic(topic), 2, 'message 1 is in the log once');
    const read = await readTopic(topic, 2);
    assert.deepEqual(
      read.map((m) => (JSON.parse(m.value) as { n: number }).n),
      [0, 1],
    );

    // the same fault without idempotence duplicates: the fault is real
    const control = unique('t');
    await ensureTopics({ brokers: kafka.brokers, topics: [control], partitions: 1 });
    const plain = new Producer({
      clientId: 'plain',
      bootstrapBrokers: viaProxy,
      acks: -1,
      retries: 3,
      retryDelay: 100,
      serializers: stringSerializers,
    });
    try {
      await plain.send({ messages: [{ topic: control, key: 'k', value: 'warm-up' }] });
      proxy.dropNextProduceAck();
      await plain.send({ messages: [{ topic: control, key: 'k', value: 'once?' }] });
    } finally {
      await plain.close();
    }
    assert.equal(await messagesInTopic(control), 3, 'a non-idempotent retry writes the message twice');
  });

  it('a send to a topic that does not exist is refused, not left hanging, and creates no topic', async () => {
    const missing = unique('missing');
    const producer = createBusProducer({ brokers: kafka.brokers, clientId: 'missing-topic', retries: 2 });
    try {
      await assert.rejects(producer.send([event(missing, 'k', 0)]), /unknown topic/i);
      const admin = new Admin({ clientId: 'check', bootstrapBrokers: kafka.brokers });
      try {
        assert.equal((await admin.listTopics()).includes(missing), false, 'no topic created by the send');
      } finally {
        await admin.close();
      }
      // the producer carries on with a topic that exists
      const [ack] = await producer.send([event(await newTopic(1), 'k', 0)]);
      assert.equal(ack?.offset, 0n);
    } finally {
      await producer.close();
    }
  });

  it('a consumer group resumes from its committed offset: a failed message stops it uncommitted, the restart begins there', async () => {
    const topic = await newTopic(1);
    const producer = createBusProducer({ brokers: kafka.brokers, clientId: 'resume-test' });
    await producer.send(Array.from({ length: 10 }, (_, n) => event(topic, 'k', n)));
    const groupId = unique('group');
    const n = (m: ConsumedMessage) => (JSON.parse(m.value) as { n: number }).n;

    // first member: handles 0..4, fails on 5
    const first: number[] = [];
    const c1 = await startBusConsumer({
      brokers: kafka.brokers,
      groupId,
      clientId: 'member-1',
      topics: [topic],
      handle: (m) => {
        if (n(m) === 5) throw new Error('cannot handle 5');
        first.push(n(m));
      },
    });
    await assert.rejects(c1.done, /cannot handle 5/);
    assert.deepEqual(first, [0, 1, 2, 3, 4]);

    // second member of the same group: starts at 5, sees each of 5..9 once; then closes after 7 more arrive
    const second: number[] = [];
    const c2 = await startBusConsumer({
      brokers: kafka.brokers,
      groupId,
      clientId: 'member-2',
      topics: [topic],
      handle: (m) => void second.push(n(m)),
    });
    await eventually(() => assert.deepEqual(second, [5, 6, 7, 8, 9]));
    await c2.close();
    await c2.done;

    // a clean close committed what it handled: the third member sees only what was sent after
    await producer.send([event(topic, 'k', 10), event(topic, 'k', 11)]);
    await producer.close();
    const third: number[] = [];
    const c3 = await startBusConsumer({
      brokers: kafka.brokers,
      groupId,
      clientId: 'member-3',
      topics: [topic],
      handle: (m) => void third.push(n(m)),
    });
    await eventually(() => assert.deepEqual(third, [10, 11]));
    await c3.close();
  });

  // last: it restarts the broker the other tests share
  it('a broker killed with SIGKILL and started again on the same data keeps every acknowledged message and committed offset', async () => {
    const topic = await newTopic(6);
    const producer = createBusProducer({ brokers: kafka.brokers, clientId: 'restart-test' });
    const sent = Array.from({ length: 300 }, (_, n) => event(topic, `order-${n % 7}`, n));
    const acks: Acknowledged[] = [];
    for (let i = 0; i < sent.length; i += 30) acks.push(...(await producer.send(sent.slice(i, i + 30))));
    const groupId = unique('group');
    await readTopic(topic, 300, groupId); // the group commits all 300

    const pid = kafka.pid();
    await kafka.kill();
    await kafka.start();
    assert.notEqual(kafka.pid(), pid, 'a new broker process');

    // the same producer object carries on after the restart (it reconnects)
    acks.push(...(await producer.send([event(topic, 'order-0', 300)])));
    await producer.close();
    assert.equal(await messagesInTopic(topic), 301);
    const read = await readTopic(topic, 301);
    const byPosition = new Map(read.map((m) => [`${m.partition}/${m.offset}`, m.headers.eventId]));
    sent.forEach((m, i) => {
      const ack = acks[i]!;
      assert.equal(byPosition.get(`${ack.partition}/${ack.offset}`), m.headers.eventId, `message ${i}`);
    });
    // the group that had read everything before the crash resumes with only the new message
    const resumed = await readTopic(topic, 1, groupId);
    assert.deepEqual(
      resumed.map((m) => (JSON.parse(m.value) as { n: number }).n),
      [300],
      'only the message sent after the restart',
    );
  });
});
