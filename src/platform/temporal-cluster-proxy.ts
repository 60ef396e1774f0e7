/**
 * The cluster's one frontend address: a TCP load balancer in front of the nodes' frontends, as a deployment
 * puts a load balancer (or a Kubernetes Service) in front of them. The TypeScript SDK connects to exactly one
 * host:port (the client's grpc-js channel and the worker's Rust core both take one address, no list), so
 * failover happens here: each new connection goes to the next node in turn, a node that refuses is skipped,
 * and when a node dies its connections are closed, the SDK reconnects and lands on a live node.
 */
import net from 'node:net';

export interface FrontendProxy {
  address: string;
  /** connections open now, by backend address */
  connections(): Record<string, number>;
  close(): Promise<void>;
}

export async function startFrontendProxy(opts: {
  host: string;
  port: number;
  backends: () => string[];
}): Promise<FrontendProxy> {
  let next = 0;
  const open = new Map<string, Set<net.Socket>>();
  const sockets = new Set<net.Socket>();

  const connectTo = (backends: string[], attempt: number, client: net.Socket): void => {
    if (attempt >= backends.length || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = backends[(next + attempt) % backends.length]!;
    const [host, port] = [backend.slice(0, backend.lastIndexOf(':')), Number(backend.split(':').pop())];
    const upstream = net.connect({ host, port });
    upstream.setNoDelay(true);
    let connected = false;
    upstream.once('error', () => {
      if (!connected) connectTo(backends, attempt + 1, client);
    });
    upstream.once('connect', () => {
      connected = true;
      next = (next + attempt + 1) % backends.length;
      const set = open.get(backend) ?? new Set<net.Socket>();
      open.set(backend, set);
      set.add(upstream);
      sockets.add(upstream);
      const done = () => {
        set.delete(upstream);
        sockets.delete(upstream);
        upstream.destroy();
        client.destroy();
      };
      upstream.removeAllListeners('error');
      upstream.on('error', done).on('close', done);
      client.on('error', done).on('close', done);
      client.pipe(upstream).pipe(client);
      client.resume();
    });
  };

  const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    connectTo(opts.backends(), 0, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    address: `${opts.host}:${opts.port}`,
    connections: () => Object.fromEntries([...open].map(([b, s]) => [b, s.size])),
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
