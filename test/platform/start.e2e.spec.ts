/**
 * `npm start` end to end, as a user runs it: the whole stack from one command on a temporary DATA_DIR and
 * free ports. Checks the API's /health and the Web UI answer, the Kafka broker answers with the project's
 * topics (and keeps its storage across the restart), a SIGKILLed worker is restarted and work goes
 * on, SIGINT leaves no process behind, and a second start finds the first run's workflows and events.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { describeCluster } from '../../src/bus/admin';
import { EVENT_TOPICS } from '../../src/bus/topics';
import { startStack, stopStack, waitFor, type RunningStack } from '../support/stack-process';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function getJson(url: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${url}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function pollOrder(
  api: string,
  token: string,
  orderId: string,
  want: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const res = await fetch(`${api}/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) {
      last = (await res.json()) as Record<string, unknown>;
      if (last.status === want) return last;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`order ${orderId} did not reach ${want}: ${JSON.stringify(last)}`);
}

/** The started broker's cluster id, after checking it has the project's topics. */
async function kafkaClusterWithTopics(port: string): Promise<string> {
  const brokers = [`127.0.0.1:${port}`];
  const admin = new Admin({ clientId: 'start-test', bootstrapBrokers: brokers });
  try {
    const topics = await admin.listTopics();
    for (const t of EVENT_TOPICS) assert.ok(topics.includes(t), `topic ${t} created`);
  } finally {
    await admin.close();
  }
  return (await describeCluster(brokers)).clusterId;
}

describe('npm start', { timeout: 600_000 }, () => {
  let stack: RunningStack | undefined;

  after(async () => {
    if (stack) await stopStack(stack);
  });

  it('brings up the API and the Web UI, restarts a killed worker, and stops cleanly', async () => {
    stack = await startStack();
    const { env, dataDir } = stack;
    const api = stack.apiUrl;
    const health = await fetch(`${api}/health`);
    assert.equal(health.status, 200, await health.text());
    const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
    assert.equal(ui.status, 200);
    for (const name of ['ADMIN_TOKEN', 'ALICE_TOKEN', 'BOB_TOKEN'])
      assert.ok(stack.tokens.get(name), `${name} printed`);
    assert.ok(stack.pids.get('kafka'), 'the Kafka broker runs as a supervised child');
    assert.match(
      stack.output(),
      new RegExp(`Kafka +127\\.0\\.0\\.1:${env.KAFKA_PORT}`),
      'the banner names Kafka',
    );
    const clusterId = await kafkaClusterWithTopics(env.KAFKA_PORT!);

    // SIGKILL the payments worker: the supervisor restarts it and an order still completes.
    const oldPid = stack.pids.get('payments')!;
    process.kill(oldPid, 'SIGKILL');
    await waitFor(
      () => (stack!.pids.get('payments') ?? oldPid) !== oldPid,
      30_000,
      'the payments worker to restart',
      stack.output,
    );

    const res = await fetch(`${api}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.tokens.get('ALICE_TOKEN')}`,
        'content-type': 'application/json',
        'idempotency-key': 'start-test-1',
      },
      body: JSON.stringify({
        items: [{ sku: 'SKU-CABLE', quantity: 1 }],
        shippingAddress: {
          name: 'Alice',
          line1: '1 Main St',
          city: 'Springfield',
          postalCode: '12345',
          country: 'US',
        },
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { orderId } = (await res.json()) as { orderId: string };
    const order = await pollOrder(api, stack.tokens.get('ALICE_TOKEN')!, orderId, 'COMPLETED', 120_000);
    assert.equal(order.status, 'COMPLETED');
    const events = await getJson(`${api}/orders/${orderId}/events`, stack.tokens.get('ALICE_TOKEN')!);
    const eventCount = (events.items as unknown[]).length;
    assert.ok(eventCount >= 2, 'the order has an event history');

    // Ctrl-C: everything stops, no process left behind.
    const pids = [...stack.pids.values()];
    await stopStack(stack, { keepData: true });
    stack = undefined;
    await new Promise((r) => setTimeout(r, 500));
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still running after SIGINT`);
    assert.equal(
      fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid')),
      false,
      'Postgres still running',
    );

    // Start again on the same DATA_DIR: the workflow and every event are still there.
    stack = await startStack(env);
    const again = await pollOrder(api, stack.tokens.get('ALICE_TOKEN')!, orderId, 'COMPLETED', 30_000);
    assert.equal(again.status, 'COMPLETED');
    const eventsAgain = await getJson(`${api}/orders/${orderId}/events`, stack.tokens.get('ALICE_TOKEN')!);
    assert.equal((eventsAgain.items as unknown[]).length, eventCount);
    const described = await fetch(
      `http://127.0.0.1:${env.TEMPORAL_UI_PORT}/api/v1/namespaces/default/workflows/order-${orderId}`,
    );
    assert.equal(described.status, 200, 'the Temporal dev server kept the workflow across the restart');
    assert.equal(
      await kafkaClusterWithTopics(env.KAFKA_PORT!),
      clusterId,
      'the broker started again on its formatted storage',
    );
  });
});
