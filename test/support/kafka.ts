/**
 * A throwaway Kafka broker for an integration test file: the real broker (scripts/kafka.js's jars, KRaft),
 * on free loopback ports, its data in a temporary directory that is removed when the test stops it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKafka, type KafkaListener, type RunningKafka } from '../../src/platform/kafka';
import { freePort } from '../../src/platform/postgres';

export interface TestKafka extends RunningKafka {
  /** stops the broker and removes its data */
  dispose(): Promise<void>;
}

type TestKafkaOptions = { partitions?: number; extraListeners?: KafkaListener[] };

/**
 * Starts the broker; once more on other ports when it exited during start-up: a port found free can be
 * taken by another process before the JVM binds it (tests and a chaos run beside them pick ports at once).
 */
export async function startTestKafka(opts: TestKafkaOptions = {}): Promise<TestKafka> {
  try {
    return await startOnce(opts);
  } catch (err) {
    if (!String(err).includes('exited during start-up')) throw err;
    process.stderr.write(
      `kafka | the broker exited during start-up; once more on other ports: ${String(err).slice(0, 2000)}\n`,
    );
    return startOnce(opts);
  }
}

async function startOnce(opts: TestKafkaOptions): Promise<TestKafka> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-saga-kafka-'));
  const lines: string[] = [];
  try {
    const kafka = await startKafka(
      {
        dataDir: dir,
        port: await freePort(),
        controllerPort: await freePort(),
        heapMb: 512,
        defaultPartitions: opts.partitions ?? 1,
        ...(opts.extraListeners && { extraListeners: opts.extraListeners }),
      },
      {
        // an upper bound, not a pause: a (re)start on a loaded shared 2-core host was seen to need over 60 s
        readyTimeoutMs: 180_000,
        log: (line) => {
          lines.push(line);
          if (lines.length > 200) lines.shift();
          if (process.env.KAFKA_TEST_LOG) process.stderr.write(`kafka | ${line}\n`);
        },
      },
    );
    return {
      ...kafka,
      dispose: async () => {
        await kafka.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\nlast broker lines:\n${lines.join('\n')}`,
    );
  }
}
