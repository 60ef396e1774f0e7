/**
 * The cluster profile's Temporal: real server nodes (temporal-server, every service in each process, one
 * ring through Temporal's ringpop membership) on Postgres, behind one frontend address (a TCP load balancer,
 * temporal-cluster-proxy.ts), with the Web UI server. The nodes and the UI are children of the caller's
 * Supervisor; each node can be crashed, stopped and started again on its ports (chaos, failover tests).
 *
 * Addresses: every node binds 127.0.0.1 with its own block of free ports (frontend, history, matching and
 * worker, gRPC and membership). Ringpop names a member by host:port, so distinct ports are enough, and
 * unlike 127.0.0.2 they work on any machine (macOS routes only 127.0.0.1 to lo0 unless aliased).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../config';
import type { Supervisor } from './supervisor';
import { freePort } from './postgres';
import { startFrontendProxy, type FrontendProxy } from './temporal-cluster-proxy';
import { registerNamespaces, setUpSchema, waitForFrontend, waitForRing } from './temporal-cluster-setup';
import {
  NODE_PORT_NAMES,
  TOPOLOGY,
  temporalNodeEnv,
  type NodePorts,
  type PostgresEndpoint,
} from './temporal-cluster-topology';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTemporalServer } = require(path.join(ROOT, 'scripts', 'temporal-server.js')) as {
  ensureTemporalServer: (opts?: { quietIfCached?: boolean }) => Promise<{
    server: string;
    sqlTool: string;
    uiServer: string;
    serverVersion: string;
    uiVersion: string;
  }>;
};

const HOST = '127.0.0.1';
const NODE_READY_MS = 120_000;

export interface ClusterNode {
  /** the supervisor's name for it: temporal-1, temporal-2 */
  name: string;
  frontendAddress: string;
  ports: NodePorts;
  pid(): number | undefined;
  /** SIGKILL; it stays down until start() */
  crash(): Promise<void>;
  /** SIGTERM (graceful); it stays down until start() */
  stop(): Promise<void>;
  /** starts it again on the same ports; resolves when its frontend answers */
  start(): Promise<void>;
}

export interface TemporalCluster {
  /** the one address clients use (the load balancer over the nodes' frontends) */
  address: string;
  nodes: ClusterNode[];
  uiUrl: string;
  serverVersion: string;
  uiVersion: string;
  proxy: FrontendProxy;
  /** waits until the ring has exactly these nodes (all by default): joined, and the dead ones expired */
  waitForRing(nodes?: ClusterNode[], timeoutMs?: number): Promise<void>;
  /** closes the load balancer; the nodes and the UI stop with the supervisor */
  close(): Promise<void>;
}

export interface ClusterOptions {
  supervisor: Supervisor;
  postgres: PostgresEndpoint;
  /** the load balancer's port (TEMPORAL_PORT) */
  frontendPort: number;
  uiPort: number;
  /** namespaces to register with the saga's search attributes (the first is the application's) */
  namespaces: string[];
  /** where the UI server's config file is written */
  dataDir: string;
  nodes?: number;
  /** the nodes' own log level (default warn) */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  say?: (msg: string) => void;
}

async function allocatePorts(): Promise<NodePorts> {
  const ports: Partial<NodePorts> = {};
  for (const name of NODE_PORT_NAMES) ports[name] = await freePort();
  return ports as NodePorts;
}

export async function startTemporalCluster(opts: ClusterOptions): Promise<TemporalCluster> {
  const say = opts.say ?? (() => undefined);
  const bins = await ensureTemporalServer({ quietIfCached: true });
  say(
    `Temporal cluster: schema set-up on ${opts.postgres.host}:${opts.postgres.port} (temporal-sql-tool)...`,
  );
  await setUpSchema(bins.sqlTool, opts.postgres);

  const nodes: NodeControl[] = [];
  for (let i = 0; i < (opts.nodes ?? TOPOLOGY.temporalNodes); i++) {
    nodes.push(nodeControl(opts, `temporal-${i + 1}`, await allocatePorts(), bins.server));
  }

  const proxy = await startFrontendProxy({
    host: HOST,
    port: opts.frontendPort,
    backends: () => nodes.map((n) => n.frontendAddress),
  });
  const historyPorts = (of: ClusterNode[]) => of.map((n) => n.ports.historyMembership);
  const [first, ...others] = nodes as [NodeControl, ...NodeControl[]];
  try {
    say(`Temporal cluster: starting ${first.name} (frontend ${first.frontendAddress})...`);
    first.launch();
    await first.ready([]); // on a fresh database the namespaces are registered next
    if (await registerNamespaces(first.frontendAddress, opts.namespaces)) {
      // namespaces and search attributes are cached per service for up to 60 s: restart so that every
      // service of the first node reads them fresh (the other nodes have not started yet)
      say(
        `Temporal cluster: registered ${opts.namespaces.join(', ')}; restarting ${first.name} to load them`,
      );
      await first.stop();
      await first.start();
    }
    for (const node of others) {
      say(`Temporal cluster: starting ${node.name} (frontend ${node.frontendAddress})...`);
      await node.start();
    }
    await waitForRing(opts.postgres, historyPorts(nodes), NODE_READY_MS);
    const uiUrl = startUi(opts, bins.uiServer, proxy.address);
    say(`Temporal cluster: ${nodes.length} nodes in one ring, frontend ${proxy.address}, UI ${uiUrl}`);
    return {
      address: proxy.address,
      nodes,
      uiUrl,
      serverVersion: bins.serverVersion,
      uiVersion: bins.uiVersion,
      proxy,
      waitForRing: (of = nodes, timeoutMs = NODE_READY_MS) =>
        waitForRing(opts.postgres, historyPorts(of), timeoutMs),
      close: () => proxy.close(),
    };
  } catch (err) {
    await proxy.close();
    throw err;
  }
}

type NodeControl = ClusterNode & { launch(): void; ready(namespaces: string[]): Promise<void> };

function nodeControl(opts: ClusterOptions, name: string, ports: NodePorts, server: string): NodeControl {
  const { supervisor } = opts;
  const frontendAddress = `${HOST}:${ports.frontend}`;
  let launched = false;
  const launch = () => {
    if (launched) return supervisor.resume(name);
    launched = true;
    supervisor.start({
      name,
      command: server,
      args: ['start'],
      env: {
        ...temporalNodeEnv(opts.postgres, { bindOnIp: HOST, ports }),
        LOG_LEVEL: opts.logLevel ?? 'warn',
      },
      stopTimeoutMs: 20_000,
    });
  };
  const ready = (namespaces: string[]) =>
    waitForFrontend(frontendAddress, {
      namespaces,
      timeoutMs: NODE_READY_MS,
      isAlive: () => supervisor.pid(name) !== undefined,
      what: `Temporal node ${name}`,
    });
  return {
    name,
    frontendAddress,
    ports,
    pid: () => supervisor.pid(name),
    crash: () => supervisor.kill(name, 'SIGKILL'),
    stop: () => supervisor.kill(name, 'SIGTERM'),
    start: async () => {
      launch();
      await ready(opts.namespaces);
    },
    launch,
    ready,
  };
}

/** The UI server on 127.0.0.1:uiPort, pointed at the cluster's frontend address. */
function startUi(opts: ClusterOptions, uiServer: string, frontend: string): string {
  const root = path.join(opts.dataDir, 'temporal-ui');
  fs.mkdirSync(path.join(root, 'config'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'config', 'cluster.yaml'),
    [
      `temporalGrpcAddress: ${frontend}`,
      `host: ${HOST}`,
      `port: ${opts.uiPort}`,
      'enableUi: true',
      `defaultNamespace: ${opts.namespaces[0] ?? 'default'}`,
      'cors:',
      '  cookieInsecure: true',
      '',
    ].join('\n'),
  );
  opts.supervisor.start({
    name: 'temporal-ui',
    command: uiServer,
    args: ['--root', root, '--config', 'config', '--env', 'cluster', 'start'],
  });
  return `http://${HOST}:${opts.uiPort}`;
}

/** Postgres as the server nodes and the schema tool reach it: host, port, user, password (TCP, not a socket). */
export function postgresEndpoint(tcpUrl: string): PostgresEndpoint {
  const url = new URL(tcpUrl);
  if (!url.hostname || url.searchParams.has('host')) {
    throw new ConfigError(
      'DATABASE_URL',
      'the cluster profile needs a TCP Postgres URL (host:port), not a socket',
    );
  }
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** The cluster profile of launchStack: the cluster on the stack's Postgres, the LB on TEMPORAL_PORT. */
export function startClusterForStack(
  config: Config,
  supervisor: Supervisor,
  s: { pgUrl: string; dataDir: string; extraNamespaces?: string[]; say: (msg: string) => void },
): Promise<TemporalCluster> {
  if (config.temporal.address) {
    throw new ConfigError(
      'TEMPORAL_ADDRESS',
      'must be unset with --cluster (the profile runs its own cluster)',
    );
  }
  return startTemporalCluster({
    supervisor,
    postgres: postgresEndpoint(s.pgUrl),
    frontendPort: config.temporal.devServerPort,
    uiPort: config.temporal.uiPort,
    namespaces: [config.temporal.namespace, ...(s.extraNamespaces ?? [])],
    dataDir: s.dataDir,
    say: s.say,
  });
}
