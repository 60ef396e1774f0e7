import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaServerProperties, newClusterId } from './kafka';

const parse = (text: string) =>
  new Map(
    text
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );

describe('Kafka broker configuration', () => {
  it('is one KRaft node (broker and controller) on loopback, its logs under the data dir, no auto-created topics', () => {
    const p = parse(
      kafkaServerProperties({ dataDir: '/d/kafka', port: 9092, controllerPort: 9093, heapMb: 512 }),
    );
    assert.equal(p.get('process.roles'), 'broker,controller');
    assert.equal(p.get('controller.quorum.voters'), '1@127.0.0.1:9093');
    assert.equal(p.get('listeners'), 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    assert.equal(p.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:9092');
    assert.equal(p.get('log.dirs'), '/d/kafka/logs');
    assert.equal(p.get('auto.create.topics.enable'), 'false');
    assert.equal(p.get('offsets.topic.replication.factor'), '1');
  });

  it('advertises an extra listener at the address given (a proxy in front of it)', () => {
    const p = parse(
      kafkaServerProperties({
        dataDir: '/d',
        port: 1000,
        controllerPort: 1001,
        heapMb: 512,
        extraListeners: [{ name: 'PROXIED', port: 1002, advertised: '127.0.0.1:1003' }],
      }),
    );
    assert.equal(
      p.get('listeners'),
      'PLAINTEXT://127.0.0.1:1000,PROXIED://127.0.0.1:1002,CONTROLLER://127.0.0.1:1001',
    );
    assert.equal(p.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:1000,PROXIED://127.0.0.1:1003');
    assert.equal(
      p.get('listener.security.protocol.map'),
      'PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT,CONTROLLER:PLAINTEXT',
    );
  });

  it('makes cluster ids of 16 random bytes in base64url that never start with "-" (the storage tool would read one as a flag)', () => {
    // the first draw encodes to "-…" (0xf8 = 111110 00: index 62 of base64url is "-"), the second does not
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    const id = newClusterId(() => draws.shift()!);
    assert.equal(draws.length, 0, 'drew again after the id that starts with "-"');
    assert.equal(id, Buffer.alloc(16, 0x01).toString('base64url'));
    for (let i = 0; i < 2000; i++) {
      const x = newClusterId();
      assert.ok(!x.startsWith('-'), x);
      assert.equal(Buffer.from(x, 'base64url').length, 16);
    }
  });
});
