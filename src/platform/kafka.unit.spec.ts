import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaServerProperties } from './kafka';

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
});
