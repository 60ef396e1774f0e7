/**
 * Free loopback ports for the chaos stack, chosen below the kernel's ephemeral range (32768+) so that no
 * outgoing connection can take one while a killed process is being restarted on it.
 */
import net from 'node:net';

const portFree = (p: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });

const taken = new Set<number>();

/**
 * A free port below the ephemeral range. `also` are offsets that must be free too (a worker's metrics port
 * + 1..3 for the other workers and + 1000.. for the SDK's own exporter).
 */
export async function pickPort(also: number[] = [0]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const base = 10_000 + Math.floor(Math.random() * 20_000);
    const ports = also.map((o) => base + o);
    if (ports.some((p) => taken.has(p))) continue;
    let ok = true;
    for (const p of ports) if (!(await portFree(p))) ok = false;
    if (!ok) continue;
    ports.forEach((p) => taken.add(p));
    return base;
  }
  throw new Error('no free port below the ephemeral range');
}
