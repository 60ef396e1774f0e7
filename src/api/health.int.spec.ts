/* eslint-disable @typescript-eslint/no-unsafe-return -- supertest bodies are untyped JSON */
/**
 * GET /health against a real Temporal dev server and a real Postgres with every migration, and no service
 * workers: the tests run the four outbox relays themselves (as the workers do: the orders relay applies the
 * order read models), so they decide what is delivered and applied. RELAY_LAG_LIMIT_S is 1 s here; every wait
 * is for the answer itself (503 naming the check, then 200) or for a delivery, never a sleep.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import request from 'supertest';
import { createPool, type Pool } from '../db/pool';
import { orderDecider, orderStreamId } from '../domain/order';
import {
  createEventStore,
  handleCommand,
  projectionsSubscriber,
  rebuildProjection,
  startOutboxRelay,
  type OutboxRelay,
  type OutboxSubscriber,
} from '../eventstore';
import { getOrderSummary, ORDER_PROJECTIONS, ORDERS_SCHEMA } from '../services/orders/read-models';
import type { RunningPostgres } from '../platform/postgres';
import { eventually } from '../../test/support/eventually';
import { startTestPostgres, startTestTemporal } from '../../test/support/stack';
import { SERVICES, type ServiceName } from '../domain/ids';
import { createApp } from './app';
import { createApiServices } from './wiring';
import { startTogether } from '../../test/support/start-together';

const LIMIT_S = 1;
const SCHEMAS = SERVICES;
type Schema = ServiceName;

let temporal: TestWorkflowEnvironment;
let pg: RunningPostgres;
let pool: Pool;
let app: ReturnType<typeof createApp>;
const relays = new Map<Schema, OutboxRelay>();
/** schemas whose relay runs other subscribers than a worker's */
const unusual = new Set<Schema>();

/** The relay a worker of `schema` runs (the orders one applies the read models), or one with `subscribers`. */
function startRelay(schema: Schema, subscribers?: OutboxSubscriber[]): void {
  if (subscribers) unusual.add(schema);
  else unusual.delete(schema);
  relays.set(
    schema,
    startOutboxRelay({
      pool,
      schema,
      pollIntervalMs: 200,
      backoffMs: 20,
      maxBackoffMs: 200,
      subscribers:
        subscribers ?? (schema === 'orders' ? [projectionsSubscriber(ORDERS_SCHEMA, ORDER_PROJECTIONS)] : []),
    }),
  );
}

async function stopRelay(schema: Schema): Promise<void> {
  await relays.get(schema)?.stop();
  relays.delete(schema);
}

const undelivered = async (schema: Schema, aggregateId: string) =>
  (
    await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.outbox WHERE aggregate_id = $1 AND delivered_at IS NULL`,
      [aggregateId],
    )
  ).rows[0]!.n;

const delivered = (schema: Schema, aggregateId: string) =>
  eventually(async () => assert.equal(await undelivered(schema, aggregateId), 0), {
    what: `${schema} ${aggregateId} delivered`,
  });

/** A new order's OrderPlaced, published as the orders service does; returns its order id. */
async function placeOrder(): Promise<string> {
  const orderId = randomUUID();
  await handleCommand(
    createEventStore({ pool, schema: 'orders' }),
    orderStreamId(orderId),
    orderDecider,
    {
      type: 'PlaceOrder',
      orderId,
      customerId: `cust-${randomUUID()}`,
      lines: [{ sku: 'SKU-H', quantity: 1, unitPrice: 700 }],
      total: 700,
      currency: 'USD',
      shippingAddress: { name: 'Ada', line1: '1 Way', city: 'London', postalCode: 'N1', country: 'GB' },
      now: new Date().toISOString(),
    },
    { publish: true },
  );
  return orderId;
}

/** A published event of another service (its relay has no subscribers: delivering is marking). */
async function publish(schema: Schema): Promise<string> {
  const stream = `health-test-${randomUUID()}`;
  await createEventStore({ pool, schema }).append(stream, 'no_stream', [{ type: 'Noted', data: {} }], {
    publish: true,
  });
  return stream;
}

const health = () => request(app).get('/health');

/** Waits until /health answers `status`, naming exactly `failing`; returns the body. */
const healthBecomes = (status: 200 | 503, failing: string[] = []) =>
  eventually(
    async () => {
      const res = await health();
      assert.equal(res.status, status, res.text);
      assert.deepEqual(res.body.failing ?? [], failing, res.text);
      return res.body;
    },
    { what: `/health ${status} ${failing.join(',')}`, intervalMs: 200 },
  );

before(async () => {
  [temporal, pg] = await startTogether(startTestTemporal(), startTestPostgres());
  pool = createPool(pg.url, { max: 20 });
  app = createApp({
    pool,
    temporal: temporal.client,
    services: createApiServices({ pool, relayLagLimitS: LIMIT_S }),
    logger: pino({ level: 'silent' }),
    config: {
      jwtSecret: 'health-test-secret-0123456789abcdef',
      cancellationWindowMs: 0,
      workerMetricsUrls: [],
      // a loaded machine must not turn a slow check into a failing one here
      probeTimeoutMs: 15_000,
    },
  });
  for (const schema of SCHEMAS) startRelay(schema);
});

after(async () => {
  for (const schema of SCHEMAS) await stopRelay(schema);
  await pool?.end();
  await temporal?.teardown();
  await pg?.stop();
});

describe('GET /health', () => {
  // every test leaves the four relays running as the workers run them, and /health at 200
  afterEach(async () => {
    // a relay that delivered orders without the read models left them behind: rebuild them from the log
    const rebuild = unusual.has('orders');
    for (const schema of SCHEMAS) {
      if (relays.has(schema) && !unusual.has(schema)) continue;
      await stopRelay(schema);
      startRelay(schema);
    }
    if (rebuild) for (const p of ORDER_PROJECTIONS) await rebuildProjection(pool, 'orders', p);
    await healthBecomes(200);
  });

  it('200 when every relay has delivered its outbox and every read model has applied the log', async () => {
    const orderId = await placeOrder();
    const streams = await Promise.all((['inventory', 'payments', 'shipping'] as const).map(publish));
    await delivered('orders', orderStreamId(orderId));
    for (const [i, schema] of (['inventory', 'payments', 'shipping'] as const).entries()) {
      await delivered(schema, streams[i]!);
    }
    assert.ok(await getOrderSummary(pool, orderId), 'the read model has the order');

    const res = await health();
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.failing, undefined);
    for (const name of ['postgres', 'temporal', 'eventStore', 'relay', 'projections']) {
      assert.equal(res.body.checks[name]?.ok, true, name);
    }
    assert.equal(res.body.checks.relay.limitSeconds, LIMIT_S);
    for (const schema of SCHEMAS) assert.equal(res.body.checks.relay[schema].undelivered, 0, schema);
    for (const p of ORDER_PROJECTIONS) {
      assert.deepEqual(res.body.checks.projections[p.name], { streamsBehind: 0, lagSeconds: 0 }, p.name);
    }
  });

  it('503 naming the relay when an outbox message has waited longer than RELAY_LAG_LIMIT_S; 200 once a relay delivers it', async () => {
    await stopRelay('inventory');
    const stream = await publish('inventory');
    const body = await healthBecomes(503, ['relay']);
    assert.equal(body.status, 'degraded');
    assert.equal(body.checks.relay.ok, false);
    assert.ok(body.checks.relay.inventory.undelivered >= 1);
    // reported to a tenth of a second: at least the limit (ok: false says it is over it)
    assert.ok(body.checks.relay.inventory.lagSeconds >= LIMIT_S, JSON.stringify(body.checks.relay));
    assert.equal(await undelivered('inventory', stream), 1, 'the message is still waiting');

    startRelay('inventory');
    await delivered('inventory', stream);
    const healed = await healthBecomes(200);
    assert.equal(healed.checks.relay.inventory.undelivered, 0);
  });

  it('503 naming projections when the read models stopped: the relay delivers, their checkpoints stay behind the log; 200 once rebuilt', async () => {
    // the orders relay delivers without the read models, as a worker that lost its projections would
    await stopRelay('orders');
    startRelay('orders', []);
    const orderId = await placeOrder();
    await delivered('orders', orderStreamId(orderId));

    const body = await healthBecomes(503, ['projections']);
    assert.equal(body.checks.relay.ok, true);
    assert.equal(body.checks.projections.ok, false);
    for (const p of ORDER_PROJECTIONS) {
      const lag = body.checks.projections[p.name];
      assert.ok(lag.streamsBehind >= 1 && lag.lagSeconds >= LIMIT_S, `${p.name}: ${JSON.stringify(lag)}`);
    }
    assert.ok(!(await getOrderSummary(pool, orderId)), 'the read model never got the order');

    // the way back: the read models are rebuilt from the log, the relay applies them again
    await stopRelay('orders');
    startRelay('orders');
    for (const p of ORDER_PROJECTIONS) await rebuildProjection(pool, 'orders', p);
    const healed = await healthBecomes(200);
    for (const p of ORDER_PROJECTIONS) {
      assert.equal(healed.checks.projections[p.name].streamsBehind, 0, p.name);
    }
    assert.ok(await getOrderSummary(pool, orderId));
  });
});
