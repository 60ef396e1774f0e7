/**
 * Runs a real Apache Kafka broker: one JVM in KRaft mode (broker and controller combined, no ZooKeeper),
 * from the jars scripts/kafka.js keeps in the user's cache. Its storage is formatted once and then reused,
 * so a restart on the same directory keeps every topic, message and committed offset.
 * Used by `npm start` (a supervised child, data under DATA_DIR/kafka) and by tests (throwaway brokers).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describeCluster, ensureTopics } from '../bus/admin';
import { EVENT_TOPICS } from '../bus/topics';
import type { Config } from '../config';
import { terminate, type Supervisor } from './supervisor';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureKafka } = require(path.join(__dirname, '..', '..', 'scripts', 'kafka.js')) as {
  ensureKafka: (opts?: {
    quietIfCached?: boolean;
    log?: (msg: string) => void;
  }) => Promise<{ version: string; libsDir: string; java: string }>;
};

export interface KafkaListener {
  /** listener name, e.g. PROXIED */
  name: string;
  /** port it binds on 127.0.0.1 */
  port: number;
  /** host:port the broker tells clients of this listener to connect to (default 127.0.0.1:port) */
  advertised?: string;
}

export interface KafkaSettings {
  /** the broker's own directory: server.properties and the formatted log directory */
  dataDir: string;
  /** client port on 127.0.0.1 */
  port: number;
  /** KRaft controller port on 127.0.0.1 */
  controllerPort: number;
  /** Java heap in MiB */
  heapMb: number;
  /** default partitions of a topic created without a count */
  defaultPartitions?: number;
  /** more client listeners (tests put a fault-injecting proxy in front of one) */
  extraListeners?: KafkaListener[];
}

/** The broker's configuration file: everything on loopback, sized for one node on a small machine. */
export function kafkaServerProperties(s: KafkaSettings): string {
  const listeners: KafkaListener[] = [{ name: 'PLAINTEXT', port: s.port }, ...(s.extraListeners ?? [])];
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${s.controllerPort}`,
    listeners: [
      ...listeners.map((l) => `${l.name}://127.0.0.1:${l.port}`),
      `CONTROLLER://127.0.0.1:${s.controllerPort}`,
    ].join(','),
    'advertised.listeners': listeners
      .map((l) => `${l.name}://${l.advertised ?? `127.0.0.1:${l.port}`}`)
      .join(','),
    'listener.security.protocol.map': [...listeners.map((l) => l.name), 'CONTROLLER']
      .map((n) => `${n}:PLAINTEXT`)
      .join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': path.join(s.dataDir, 'logs'),
    'num.partitions': s.defaultPartitions ?? 1,
    // topics are created by the project with their partition count; a typo must not create one
    'auto.create.topics.enable': 'false',
    // one node: every internal topic has one replica
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'offsets.topic.num.partitions': 6,
    'group.initial.rebalance.delay.ms': 0,
    // a 2-core machine: fewer threads than the defaults (3 network, 8 I/O)
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
    .concat('\n');
}

/**
 * Kafka's cluster id format: a random UUID, base64url without padding. Never one that starts with '-' (one
 * in 64 would): the storage tool's argument parser reads `-t -abc…` as a flag without its value and refuses
 * to format (seen in a test run). Kafka's own Uuid.randomUuid() avoids those too.
 */
export function newClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const execFileAsync = promisify(execFile);

const JVM_LOG = [
  // slf4j-simple: warnings and errors only (the broker logs every config value at INFO)
  '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
  '-Dorg.slf4j.simpleLogger.showDateTime=true',
  '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
];

/**
 * Fetches the jars if needed, writes server.properties and formats the storage the first time (never
 * again: formatting is what would lose data), and returns how to run the broker.
 */
export async function prepareKafka(
  s: KafkaSettings,
  log: (line: string) => void = () => undefined,
): Promise<{ command: string; args: string[]; version: string }> {
  const { java, libsDir, version } = await ensureKafka({ quietIfCached: true, log });
  fs.mkdirSync(s.dataDir, { recursive: true });
  const propsFile = path.join(s.dataDir, 'server.properties');
  fs.writeFileSync(propsFile, kafkaServerProperties(s));
  const classpath = `${libsDir}${path.sep}*`;
  if (!fs.existsSync(path.join(s.dataDir, 'logs', 'meta.properties'))) {
    const format = [...JVM_LOG, '-cp', classpath, 'kafka.tools.StorageTool', 'format'];
    await execFileAsync(java, ['-Xmx256m', ...format, '-t', newClusterId(), '-c', propsFile]).catch(
      (err: Error & { stderr?: string; stdout?: string }) => {
        throw new Error(
          `formatting Kafka storage in ${s.dataDir} failed:\n${err.stderr || err.stdout || err.message}`,
        );
      },
    );
  }
  const args = [
    `-Xmx${s.heapMb}m`,
    `-Xms${Math.min(s.heapMb, 128)}m`,
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...JVM_LOG,
    '-cp',
    classpath,
    'kafka.Kafka',
    propsFile,
  ];
  return { command: java, args, version };
}

/**
 * Waits until the cluster answers a Metadata request with at least one broker. `isAlive` reports whether
 * the broker process is still there (a broker that exited fails the wait at once).
 */
export async function waitForKafka(
  brokers: string[],
  timeoutMs: number,
  isAlive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error('the Kafka broker exited during start-up (see its log lines above)');
    try {
      const info = await describeCluster(brokers, 2000);
      if (info.brokers.length > 0) return;
    } catch (err) {
      lastError = err;
    }
    await delay(200);
  }
  throw new Error(`Kafka at ${brokers.join(',')} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

export interface RunningKafka {
  /** bootstrap brokers: 127.0.0.1:port */
  brokers: string[];
  settings: KafkaSettings;
  pid(): number | undefined;
  /** stops the broker (SIGTERM, SIGKILL after the bound); its data stays */
  stop(): Promise<void>;
  /** crash-like stop: SIGKILL, nothing flushed beyond what the OS already has */
  kill(): Promise<void>;
  /** starts it again on the same data directory and ports and waits until it answers */
  start(): Promise<void>;
}

const STOP_TIMEOUT_MS = 20_000;

/** Starts a broker of its own (not supervised) and waits until it answers. */
export async function startKafka(
  s: KafkaSettings,
  opts: { log?: (line: string) => void; readyTimeoutMs?: number } = {},
): Promise<RunningKafka> {
  const log = opts.log ?? (() => undefined);
  const spec = await prepareKafka(s, log);
  const brokers = [`127.0.0.1:${s.port}`];
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const launch = async () => {
    const c = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    for (const stream of [c.stdout, c.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => chunk.split('\n').forEach((l) => l && log(l)));
    }
    process.once('exit', killOnExit);
    try {
      await waitForKafka(brokers, opts.readyTimeoutMs ?? 60_000, () => c === child && alive());
    } catch (err) {
      await terminate(c, STOP_TIMEOUT_MS);
      throw err;
    }
  };
  const halt = async (how: 'stop' | 'kill') => {
    const c = child;
    if (!c) return;
    if (how === 'kill' && alive()) {
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await exited;
    } else {
      await terminate(c, STOP_TIMEOUT_MS);
    }
    process.removeListener('exit', killOnExit);
    child = undefined;
  };

  await launch();
  return {
    brokers,
    settings: s,
    pid: () => child?.pid,
    stop: () => halt('stop'),
    kill: () => halt('kill'),
    start: async () => {
      if (alive()) return;
      await launch();
    },
  };
}

/**
 * `npm start`: runs the broker as the supervised child `kafka` (data under DATA_DIR/kafka) unless
 * KAFKA_BROKERS names a cluster. Returns the environment the stack's children get.
 */
export async function startSupervisedKafka(
  config: Config,
  dataDir: string,
  supervisor: Supervisor,
  say: (msg: string) => void,
): Promise<Record<string, string>> {
  if (config.kafka.brokers) return {};
  const kafkaDir = path.join(dataDir, 'kafka');
  say(`starting Kafka (KRaft, one node) on 127.0.0.1:${config.kafka.port} (data in ${kafkaDir})...`);
  const broker = await prepareKafka(
    {
      dataDir: kafkaDir,
      port: config.kafka.port,
      controllerPort: config.kafka.controllerPort,
      heapMb: config.kafka.heapMb,
      defaultPartitions: config.kafka.topicPartitions,
    },
    say,
  );
  supervisor.start({
    name: 'kafka',
    command: broker.command,
    args: broker.args,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
  return { KAFKA_BROKERS: `127.0.0.1:${config.kafka.port}` };
}

/** `npm start`: waits until the bus answers and creates the project's topics on it. */
/** The bus's brokers once they answer and the topics exist; none when BUS_ENABLED=false. */
export async function busReady(
  config: Config,
  brokers: string[],
  supervisor: Supervisor,
  say: (msg: string) => void,
): Promise<string[]> {
  if (!config.kafka.enabled) {
    say('the bus is off (BUS_ENABLED=false): no Kafka, no consumer groups');
    return [];
  }
  await kafkaReady(config, brokers, supervisor, say);
  return brokers;
}

export async function kafkaReady(
  config: Config,
  brokers: string[],
  supervisor: Supervisor,
  say: (msg: string) => void,
): Promise<void> {
  await waitForKafka(
    brokers,
    120_000,
    () => config.kafka.brokers !== undefined || supervisor.pid('kafka') !== undefined,
  );
  await ensureTopics({ brokers, topics: EVENT_TOPICS, partitions: config.kafka.topicPartitions });
  say(`Kafka topics ready: ${EVENT_TOPICS.join(', ')}`);
}
