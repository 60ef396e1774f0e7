/**
 * The oracle's read of the bus, with a Kafka client that is not the project's: the Kafka distribution's own
 * command-line tools (kafka-tools, fetched once by scripts/kafka.js beside the broker's jars). GetOffsetShell
 * gives every topic's partitions' earliest and latest offsets; ConsoleConsumer reads each event topic from
 * the beginning, exactly as many messages as the offsets say are there (`--max-messages`; its `--timeout-ms`
 * only ends a read that failed, which then shows as missing events), printing partition, offset, headers,
 * key and value. Nothing here imports the project's bus code.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureKafkaTools } = require(path.join(__dirname, '..', '..', 'scripts', 'kafka.js')) as {
  ensureKafkaTools: (opts?: {
    log?: (msg: string) => void;
  }) => Promise<{ version: string; classpath: string; java: string }>;
};

const run = promisify(execFile);
/** a read that has not finished after this long failed (the broker answers in well under a second) */
const READ_BOUND_MS = 120_000;

/** One message of an event topic as the console consumer printed it. */
export interface TopicRecord {
  partition: number;
  offset: number;
  key: string;
  /** the `event-id` header */
  eventId: string;
  /** the envelope's version (value JSON), NaN when the value is not one */
  version: number;
}

export interface BusRead {
  /** event topic → its messages, in (partition, offset) order */
  topics: Record<string, TopicRecord[]>;
  /** event topic → messages the offsets say it holds (what the read should have returned) */
  expected: Record<string, number>;
  /** every topic's message count (latest − earliest offset), dead-letter topics included */
  counts: Record<string, number>;
}

async function tool(args: string[]): Promise<string> {
  const { classpath, java } = await ensureKafkaTools({ log: () => undefined });
  const { stdout } = await run(
    java,
    ['-Xmx128m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', classpath, ...args],
    { maxBuffer: 512 * 1024 * 1024, timeout: READ_BOUND_MS + 30_000 },
  );
  return stdout;
}

/** topic → partition → offset, from GetOffsetShell's `topic:partition:offset` lines */
async function offsets(bootstrap: string, time: '-1' | '-2'): Promise<Map<string, Map<number, number>>> {
  const out = await tool([
    'org.apache.kafka.tools.GetOffsetShell',
    '--bootstrap-server',
    bootstrap,
    '--exclude-internal-topics',
    '--time',
    time,
  ]);
  const m = new Map<string, Map<number, number>>();
  for (const line of out.split('\n')) {
    const match = /^(.+):(\d+):(\d+)$/.exec(line.trim());
    if (!match) continue;
    const [, topic, partition, offset] = match;
    const parts = m.get(topic!) ?? new Map<number, number>();
    parts.set(Number(partition), Number(offset));
    m.set(topic!, parts);
  }
  return m;
}

/** Every topic's message count: Σ over its partitions of latest − earliest offset. */
export async function topicCounts(bootstrap: string): Promise<Record<string, number>> {
  const [earliest, latest] = await Promise.all([offsets(bootstrap, '-2'), offsets(bootstrap, '-1')]);
  const counts: Record<string, number> = {};
  for (const [topic, parts] of latest) {
    let n = 0;
    for (const [p, end] of parts) n += end - (earliest.get(topic)?.get(p) ?? 0);
    counts[topic] = n;
  }
  return counts;
}

/** Parses one line of DefaultMessageFormatter: `Partition:p\tOffset:o\theaders\tkey\tvalue`. */
export function parseRecord(line: string): TopicRecord | undefined {
  const fields = line.split('\t');
  if (fields.length < 5) return undefined;
  const [p, o, headers, key] = fields;
  const value = fields.slice(4).join('\t');
  const partition = /^Partition:(\d+)$/.exec(p!)?.[1];
  const offset = /^Offset:(\d+)$/.exec(o!)?.[1];
  if (partition === undefined || offset === undefined) return undefined;
  const eventId = /(?:^|,)event-id:([^,]*)/.exec(headers!)?.[1] ?? '';
  let version = Number.NaN;
  try {
    const v = (JSON.parse(value) as { version?: unknown }).version;
    if (typeof v === 'number') version = v;
  } catch {
    /* not an envelope: NaN */
  }
  return { partition: Number(partition), offset: Number(offset), key: key!, eventId, version };
}

/** Reads `count` messages of `topic` from the beginning with the console consumer. */
export async function readTopic(bootstrap: string, topic: string, count: number): Promise<TopicRecord[]> {
  if (count <= 0) return [];
  const prop = (p: string) => ['--formatter-property', p];
  const out = await tool([
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    bootstrap,
    '--topic',
    topic,
    '--from-beginning',
    '--max-messages',
    String(count),
    '--timeout-ms',
    String(READ_BOUND_MS),
    ...prop('print.partition=true'),
    ...prop('print.offset=true'),
    ...prop('print.headers=true'),
    ...prop('print.key=true'),
    ...prop('print.value=true'),
  ]).catch((err: Error & { stdout?: string }) => err.stdout ?? ''); // a timed-out read: what it printed
  const records = out.split('\n').flatMap((l) => parseRecord(l) ?? []);
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Reads every one of `topics` in full (in parallel) and counts every topic's messages. */
export async function readBus(brokers: readonly string[], topics: readonly string[]): Promise<BusRead> {
  const bootstrap = brokers.join(',');
  const counts = await topicCounts(bootstrap);
  const read = await Promise.all(topics.map((t) => readTopic(bootstrap, t, counts[t] ?? 0)));
  return {
    topics: Object.fromEntries(topics.map((t, i) => [t, read[i]!])),
    expected: Object.fromEntries(topics.map((t) => [t, counts[t] ?? 0])),
    counts,
  };
}
