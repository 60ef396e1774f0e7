/**
 * The cluster's set-up steps, each against the real thing: the schema tool on Postgres, the namespaces and
 * search attributes through a node's frontend, and the readiness checks (a frontend that answers, the ring
 * that every node has joined, as Temporal records it in its cluster_membership table).
 */
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import {
  NAMESPACE_SEARCH_ATTRIBUTES,
  SCHEMA_STEPS,
  SCHEMA_TOOL_PLUGIN,
  TOPOLOGY,
  type PostgresEndpoint,
} from './temporal-cluster-topology';

/** Runs the schema steps in order with temporal-sql-tool; throws with the tool's output on a failure. */
export async function setUpSchema(sqlTool: string, pgEndpoint: PostgresEndpoint): Promise<void> {
  const env = {
    ...process.env,
    SQL_PLUGIN: SCHEMA_TOOL_PLUGIN,
    SQL_HOST: pgEndpoint.host,
    SQL_PORT: String(pgEndpoint.port),
    SQL_USER: pgEndpoint.user,
    SQL_PASSWORD: pgEndpoint.password,
  };
  for (const args of SCHEMA_STEPS) {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(sqlTool, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', (err) => resolve({ code: -1, output: String(err) }));
      child.on('close', (c) => resolve({ code: c, output: out }));
    });
    if (code !== 0) {
      throw new Error(`temporal-sql-tool ${args.join(' ')} exited with ${code}:\n${output.slice(-3000)}`);
    }
  }
}

async function withConnection<T>(address: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  const conn = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

const GRPC_NOT_FOUND = 5;
const isNotFound = (err: unknown) => (err as { code?: number }).code === GRPC_NOT_FOUND;

async function untilFound<T>(call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!isNotFound(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Registers each namespace (retention from the topology) and its search attributes where missing, through
 * one frontend. Returns whether it created anything: every service caches namespaces and search attributes
 * (up to 60 s), so a caller that created some restarts the nodes that were already running.
 */
export async function registerNamespaces(address: string, namespaces: string[]): Promise<boolean> {
  return withConnection(address, async (conn) => {
    let created = false;
    for (const namespace of namespaces) {
      try {
        await conn.workflowService.describeNamespace({ namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await conn.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(`${TOPOLOGY.namespaceRetentionHours} hours`),
        });
        created = true;
      }
      // a namespace registered just now reaches the node's namespace cache within seconds
      const existing = await untilFound(() => conn.operatorService.listSearchAttributes({ namespace }));
      const missing = NAMESPACE_SEARCH_ATTRIBUTES.filter(
        (sa) => !(sa.name in (existing.customAttributes ?? {})),
      );
      if (missing.length > 0) {
        await conn.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((sa) => [sa.name, sa.indexedValueType])),
        });
        created = true;
      }
    }
    return created;
  });
}

/**
 * Waits until the frontend at `address` answers (and, when given, knows every namespace). `isAlive` lets a
 * node that exited during start-up fail the wait at once instead of at the deadline.
 */
export async function waitForFrontend(
  address: string,
  opts: { namespaces?: string[]; timeoutMs: number; isAlive: () => boolean; what: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (!opts.isAlive()) throw new Error(`${opts.what} exited during start-up (see its log lines)`);
    try {
      await withConnection(address, async (conn) => {
        await conn.workflowService.getSystemInfo({});
        for (const namespace of opts.namespaces ?? [])
          await conn.workflowService.describeNamespace({ namespace });
      });
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`${opts.what} (${address}) not ready after ${opts.timeoutMs} ms: ${String(last)}`);
}

const HISTORY_ROLE = 2; // go.temporal.io/server common/persistence ServiceType: Frontend 1, History 2, ...
/** the server's own cut-off: a member whose last heartbeat is older is not healthy (ringpop/monitor.go) */
const HEALTHY_HEARTBEAT_S = 20;

/**
 * The history membership ports of the healthy members in cluster_membership (the ring as the nodes record
 * it: each node heartbeats its row every few seconds; the rows of a dead process stay but stop heartbeating).
 */
export async function liveHistoryMembers(pgEndpoint: PostgresEndpoint): Promise<number[]> {
  const client = new pg.Client({ ...pgEndpoint, database: TOPOLOGY.databases.persistence });
  await client.connect();
  try {
    const { rows } = await client.query<{ rpc_port: number }>(
      `SELECT DISTINCT rpc_port FROM cluster_membership
        WHERE role = $1 AND last_heartbeat > (now() AT TIME ZONE 'UTC') - make_interval(secs => $2)
        ORDER BY rpc_port`,
      [HISTORY_ROLE, HEALTHY_HEARTBEAT_S],
    );
    return rows.map((r) => r.rpc_port);
  } finally {
    await client.end();
  }
}

/** Waits until the ring has exactly these history members (joined and, for a dead node, unhealthy). */
export async function waitForRing(
  pgEndpoint: PostgresEndpoint,
  historyMembershipPorts: number[],
  timeoutMs: number,
): Promise<void> {
  const want = [...historyMembershipPorts].sort((a, b) => a - b).join(',');
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await liveHistoryMembers(pgEndpoint).catch(() => [])).join(',');
    if (seen === want) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the ring's history members are [${seen}], not [${want}], after ${timeoutMs} ms`);
}
