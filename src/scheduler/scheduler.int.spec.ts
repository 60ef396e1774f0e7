/**
 * Scheduled messages on a real, durable Postgres: two pollers on separate pools claim each due message exactly
 * once; nothing is handled before its due time; scheduled messages survive a crash-restart of Postgres and
 * a claim cut by it is handled by a later attempt, once; a cancelled message is never handled; a failing
 * handler is retried with its error recorded. Nothing is stubbed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createPool } from '../db/pool';
import type { RunningPostgres } from '../platform/postgres';
import { eventually } from '../../test/support/eventually';
import { startTestPostgres } from '../../test/support/stack';
import { cancelScheduled, scheduleMessage, startScheduler, type Scheduler, type ScheduledHandler } from '.';

const SCHEMA = 'shipping';
const T = `${SCHEMA}.scheduler_test_handled`;

describe('scheduled messages (real Postgres, durable)', { timeout: 300_000 }, () => {
  let pg: RunningPostgres;
  let poolA: Pool;
  let poolB: Pool;
  const running: Scheduler[] = [];

  before(async () => {
    pg = await startTestPostgres({ durability: 'durable' });
    poolA = createPool(pg.url, { max: 4 });
    poolB = createPool(pg.url, { max: 4 });
    await poolA.query(
      `CREATE TABLE ${T} (id text PRIMARY KEY, poller text NOT NULL, handled_at timestamptz NOT NULL DEFAULT now())`,
    );
  });
  after(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await poolA?.end();
    await poolB?.end();
    await pg?.stop();
  });

  const start = (pool: Pool, handlers: Record<string, ScheduledHandler>) => {
    const s = startScheduler({ pool, schema: SCHEMA, handlers, pollIntervalMs: 50 });
    running.push(s);
    return s;
  };
  const stop = async (s: Scheduler) => {
    await s.stop();
    running.splice(running.indexOf(s), 1);
  };
  const handledRows = async (ids: string[]) =>
    (
      await poolA.query<{ id: string; poller: string; handled_at: Date }>(
        `SELECT id, poller, handled_at FROM ${T} WHERE id = ANY($1)`,
        [ids],
      )
    ).rows;
  const past = () => new Date(Date.now() - 1000);

  it('two pollers on separate pools handle each of 120 due messages exactly once', async () => {
    const kind = `k-${randomUUID()}`;
    const ids = Array.from({ length: 120 }, (_, i) => `${kind}/${i}`);
    for (const id of ids)
      assert.equal(await scheduleMessage(poolA, SCHEMA, { id, kind, payload: {}, dueAt: past() }), true);
    assert.equal(
      await scheduleMessage(poolA, SCHEMA, { id: ids[0]!, kind, payload: {}, dueAt: past() }),
      false,
      'scheduling the same id again is a no-op',
    );
    const calls: string[] = [];
    const handler =
      (poller: string): ScheduledHandler =>
      async (msg, client) => {
        calls.push(msg.id);
        await client.query('SELECT pg_sleep(0.002)'); // hold the claim a moment so the pollers overlap
        await client.query(`INSERT INTO ${T} (id, poller) VALUES ($1, $2)`, [msg.id, poller]);
      };
    const a = start(poolA, { [kind]: handler('A') });
    const b = start(poolB, { [kind]: handler('B') });
    await eventually(async () => assert.equal((await handledRows(ids)).length, 120), { what: '120 handled' });
    await stop(a);
    await stop(b);
    assert.equal(calls.length, 120, 'no message was handed to a handler twice');
    assert.equal(new Set(calls).size, 120);
    const open = await poolA.query(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.scheduled_messages WHERE kind = $1 AND done_at IS NULL`,
      [kind],
    );
    assert.equal(open.rows[0].n, 0, 'every message is marked done');
  });

  it('a message is not handled before its due time, and one scheduled before a Postgres crash-restart is handled after it', async () => {
    const kind = `k-${randomUUID()}`;
    const id = `${kind}/later`;
    const dueAt = new Date(Date.now() + 1500);
    await scheduleMessage(poolA, SCHEMA, { id, kind, payload: { n: 1 }, dueAt });
    await pg.restart!('immediate');
    const seen: unknown[] = [];
    const s = start(poolA, {
      [kind]: async (msg, client) => {
        seen.push(msg.payload);
        await client.query(`INSERT INTO ${T} (id, poller) VALUES ($1, 'A')`, [msg.id]);
      },
    });
    const [row] = await eventually(async () => {
      const rows = await handledRows([id]);
      assert.equal(rows.length, 1);
      return rows;
    });
    await stop(s);
    assert.ok(
      row!.handled_at.getTime() >= dueAt.getTime(),
      `handled at ${row!.handled_at.toISOString()}, due ${dueAt.toISOString()}`,
    );
    assert.deepEqual(seen, [{ n: 1 }]);
  });

  it('a claim cut by a Postgres crash-restart mid-handling is handled by a later attempt, once', async () => {
    const kind = `k-${randomUUID()}`;
    const id = `${kind}/cut`;
    await scheduleMessage(poolA, SCHEMA, { id, kind, payload: {}, dueAt: past() });
    let calls = 0;
    let firstStarted!: () => void;
    const started = new Promise<void>((resolve) => (firstStarted = resolve));
    const handler =
      (poller: string): ScheduledHandler =>
      async (msg, client) => {
        calls += 1;
        if (calls === 1) {
          firstStarted();
          await client.query('SELECT pg_sleep(600)'); // the first claimer never finishes on its own
        }
        await client.query(`INSERT INTO ${T} (id, poller) VALUES ($1, $2)`, [msg.id, poller]);
      };
    const a = start(poolA, { [kind]: handler('A') });
    const b = start(poolB, { [kind]: handler('B') });
    await started;
    await pg.restart!('immediate');
    await eventually(async () => assert.equal((await handledRows([id])).length, 1), {
      what: 'handled after the restart',
    });
    await stop(a);
    await stop(b);
    assert.equal(calls, 2, 'the cut attempt and the one that committed');
  });

  it('a cancelled message is never handled; cancelling a handled one answers false', async () => {
    const kind = `k-${randomUUID()}`;
    const cancelled = `${kind}/cancelled`;
    const later = `${kind}/after`;
    await scheduleMessage(poolA, SCHEMA, {
      id: cancelled,
      kind,
      payload: {},
      dueAt: new Date(Date.now() - 2000),
    });
    await scheduleMessage(poolA, SCHEMA, { id: later, kind, payload: {}, dueAt: past() });
    assert.equal(await cancelScheduled(poolA, SCHEMA, cancelled), true);
    assert.equal(await cancelScheduled(poolA, SCHEMA, cancelled), true, 'cancelling again answers the same');
    const s = start(poolA, {
      [kind]: async (msg, client) => {
        await client.query(`INSERT INTO ${T} (id, poller) VALUES ($1, 'A')`, [msg.id]);
      },
    });
    // the cancelled one was due first: once the later one is handled, it would have been too
    await eventually(async () => assert.equal((await handledRows([later])).length, 1));
    await stop(s);
    assert.deepEqual(await handledRows([cancelled]), []);
    assert.equal(await cancelScheduled(poolA, SCHEMA, later), false, 'handled already');
    assert.equal(await cancelScheduled(poolA, SCHEMA, `${kind}/unknown`), false, 'never scheduled');
  });

  it('a handler that throws: nothing it wrote stays, the error is recorded and the message is retried until it succeeds', async () => {
    const kind = `k-${randomUUID()}`;
    const id = `${kind}/flaky`;
    await scheduleMessage(poolA, SCHEMA, { id, kind, payload: {}, dueAt: past() });
    let calls = 0;
    const s = start(poolA, {
      [kind]: async (msg, client) => {
        calls += 1;
        await client.query(`INSERT INTO ${T} (id, poller) VALUES ($1, 'A')`, [msg.id]);
        if (calls === 1) throw new Error('first attempt fails after writing');
      },
    });
    await eventually(async () => assert.equal((await handledRows([id])).length, 1));
    await stop(s);
    assert.equal(calls, 2);
    const r = await poolA.query<{ attempts: number; last_error: string }>(
      `SELECT attempts, last_error FROM ${SCHEMA}.scheduled_messages WHERE id = $1`,
      [id],
    );
    assert.equal(r.rows[0]?.attempts, 1);
    assert.match(r.rows[0]?.last_error ?? '', /first attempt fails/);
  });
});
