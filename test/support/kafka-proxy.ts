/**
 * A TCP proxy in front of one Kafka listener that can lose a Produce acknowledgement on purpose: it passes
 * every request and response through, except that when armed it forwards the next Produce request to the
 * broker, lets the broker write it, and then cuts the connection instead of passing the response on. The
 * client sees a network error after the write, which is exactly the case an idempotent producer exists for.
 *
 * Kafka frames are `int32 size` + body; a request body starts with `int16 apiKey, int16 apiVersion, int32
 * correlationId`, a response body with `int32 correlationId` (responses come in request order).
 */
import net from 'node:net';

const PRODUCE = 0;

export interface KafkaProxy {
  port: number;
  /** Produce requests forwarded to the broker so far */
  readonly produceRequests: number;
  /** Produce responses withheld (connection cut instead) so far */
  readonly droppedAcks: number;
  /** withhold the response to the next Produce request */
  dropNextProduceAck(): void;
  close(): Promise<void>;
}

/** Splits a byte stream into Kafka frames, calling `onFrame` with each whole frame. */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0);
      if (buf.length < 4 + size) break;
      onFrame(buf.subarray(0, 4 + size));
      buf = buf.subarray(4 + size);
    }
  };
}

export async function startKafkaProxy(
  listenPort: number,
  target: { host: string; port: number },
): Promise<KafkaProxy> {
  let produceRequests = 0;
  let droppedAcks = 0;
  let armed = false;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const broker = net.connect(target.port, target.host);
    sockets.add(client).add(broker);
    let withhold: number | undefined;
    const cut = () => {
      client.destroy();
      broker.destroy();
    };
    client.on(
      'data',
      framer((frame) => {
        if (frame.readInt16BE(4) === PRODUCE) {
          produceRequests++;
          if (armed) {
            armed = false;
            withhold = frame.readInt32BE(8);
          }
        }
        broker.write(frame);
      }),
    );
    broker.on(
      'data',
      framer((frame) => {
        if (withhold !== undefined && frame.readInt32BE(4) === withhold) {
          droppedAcks++;
          cut();
          return;
        }
        client.write(frame);
      }),
    );
    for (const s of [client, broker]) {
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', resolve);
  });
  return {
    port: listenPort,
    get produceRequests() {
      return produceRequests;
    },
    get droppedAcks() {
      return droppedAcks;
    },
    dropNextProduceAck: () => {
      armed = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
