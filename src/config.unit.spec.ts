import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigError,
  DEFAULT_SHIPPING_COUNTRIES,
  VARIABLES,
  kafkaBrokers,
  loadConfig,
  requireDatabaseUrl,
} from './config';

describe('config', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.temporal.uiPort, 8233);
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.temporal.address, undefined);
    assert.equal(c.dataDir, '.data');
    assert.deepEqual(c.shippingCountries, DEFAULT_SHIPPING_COUNTRIES);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.orderCancellationWindowMs, 10000);
    assert.equal(c.relayLagLimitS, 60);
    assert.deepEqual(c.kafka, {
      enabled: true,
      brokers: undefined,
      port: 9092,
      controllerPort: 9093,
      heapMb: 512,
      topicPartitions: 6,
      consumersPerGroup: 2,
    });
    assert.deepEqual(kafkaBrokers(c), ['127.0.0.1:9092']);
  });

  it('BUS_ENABLED=false turns the bus off; a value that is not a boolean is refused by name', () => {
    assert.equal(loadConfig({ BUS_ENABLED: 'false' }).kafka.enabled, false);
    assert.equal(loadConfig({ BUS_ENABLED: 'true' }).kafka.enabled, true);
    assert.throws(() => loadConfig({ BUS_ENABLED: 'off' }), /BUS_ENABLED/);
  });

  it('COORDINATION_PREPARE_LOCK_TIMEOUT_MS defaults to 10 s and stays below the 30 s attempt timeout', () => {
    assert.equal(loadConfig({}).coordination.prepareLockTimeoutMs, 10_000);
    assert.equal(
      loadConfig({ COORDINATION_PREPARE_LOCK_TIMEOUT_MS: '2000' }).coordination.prepareLockTimeoutMs,
      2000,
    );
    assert.throws(
      () => loadConfig({ COORDINATION_PREPARE_LOCK_TIMEOUT_MS: '30000' }),
      /COORDINATION_PREPARE_LOCK_TIMEOUT_MS/,
    );
  });

  it('KAFKA_BROKERS names the cluster to use instead of the started broker', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'k1.example:9092, k2.example:9093', KAFKA_PORT: '19092' });
    assert.deepEqual(kafkaBrokers(c), ['k1.example:9092', 'k2.example:9093']);
    assert.deepEqual(kafkaBrokers(loadConfig({ KAFKA_PORT: '19092' })), ['127.0.0.1:19092']);
  });

  it('parses every kind of value', () => {
    const c = loadConfig({
      PORT: '8080',
      SHIPPING_COUNTRIES: 'US, CA',
      ORDER_CANCELLATION_WINDOW_MS: '0',
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_API_KEY: 'k',
      CARRIER_FAILURE_RATE: '0.25',
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      RELAY_LAG_LIMIT_S: '5',
    });
    assert.equal(c.port, 8080);
    assert.deepEqual(c.shippingCountries, ['US', 'CA']);
    assert.equal(c.orderCancellationWindowMs, 0);
    assert.equal(c.temporal.tls, true, 'an API key implies TLS');
    assert.equal(c.carrier.failureRate, 0.25);
    assert.equal(requireDatabaseUrl(c), 'postgres://u:p@db:5432/x');
    assert.equal(c.relayLagLimitS, 5);
  });

  for (const [name, value] of [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['TEMPORAL_ADDRESS', 'no-port'],
    ['AUTH_JWT_SECRET', 'short'],
    ['ORDER_CANCELLATION_WINDOW_MS', '-1'],
    ['SHIPPING_COUNTRIES', 'usa'],
    ['CARRIER_FAILURE_RATE', '2'],
    ['LOG_LEVEL', 'loud'],
    ['TEMPORAL_TLS', 'maybe'],
    ['RELAY_LAG_LIMIT_S', '0'],
    ['KAFKA_BROKERS', 'localhost'],
    ['KAFKA_TOPIC_PARTITIONS', '0'],
    ['KAFKA_HEAP_MB', '64'],
  ] as const) {
    it(`fails fast naming ${name} when it is ${JSON.stringify(value)}`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.variable === name && err.message.includes(name),
      );
    });
  }

  it('requires DATABASE_URL where a process cannot run without it', () => {
    assert.throws(() => requireDatabaseUrl(loadConfig({})), /DATABASE_URL/);
  });

  it('gives every variable its own place in the config (no key repeated or nested under another)', () => {
    const keys = Object.values(VARIABLES).map((spec) => spec.key);
    for (const key of keys) {
      assert.equal(keys.filter((k) => k === key || k.startsWith(`${key}.`)).length, 1, key);
    }
  });
});
