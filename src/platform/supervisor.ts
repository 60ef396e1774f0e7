/**
 * A small process supervisor for `npm start`: runs each child, restarts a child that exits without being
 * asked to (TS workers do not reconnect by themselves after losing their connection), with exponential
 * backoff, and stops everything in reverse start order on shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** how long a child gets between SIGTERM and SIGKILL */
  stopTimeoutMs?: number;
  /** restart when it exits on its own (default true) */
  restart?: boolean;
}

interface Supervised {
  spec: ChildSpec;
  child: ChildProcess | undefined;
  restarts: number;
  startedAt: number;
  stopping: boolean;
  timer: NodeJS.Timeout | undefined;
}

export type SupervisorEvent =
  | { type: 'started'; name: string; pid: number; restarts: number }
  | {
      type: 'exited';
      name: string;
      code: number | null;
      signal: NodeJS.Signals | null;
      willRestartInMs?: number;
    };

export class Supervisor extends EventEmitter<{ event: [SupervisorEvent]; line: [string, string] }> {
  private readonly children = new Map<string, Supervised>();
  private shuttingDown = false;

  start(spec: ChildSpec): void {
    if (this.children.has(spec.name)) throw new Error(`duplicate child ${spec.name}`);
    const s: Supervised = {
      spec,
      child: undefined,
      restarts: 0,
      startedAt: 0,
      stopping: false,
      timer: undefined,
    };
    this.children.set(spec.name, s);
    this.launch(s);
  }

  pid(name: string): number | undefined {
    return this.children.get(name)?.child?.pid;
  }

  names(): string[] {
    return [...this.children.keys()];
  }

  restartCount(name: string): number {
    return this.children.get(name)?.restarts ?? 0;
  }

  private launch(s: Supervised): void {
    const child = spawn(s.spec.command, s.spec.args, {
      env: { ...process.env, ...s.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    s.child = child;
    s.startedAt = Date.now();
    const forward = (stream: NodeJS.ReadableStream | null) => {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.emit('line', s.spec.name, buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    };
    forward(child.stdout);
    forward(child.stderr);
    child.on('spawn', () =>
      this.emit('event', { type: 'started', name: s.spec.name, pid: child.pid ?? -1, restarts: s.restarts }),
    );
    child.on('error', (err) => this.emit('line', s.spec.name, `spawn error: ${err.message}`));
    child.on('exit', (code, signal) => {
      s.child = undefined;
      if (this.shuttingDown || s.stopping || s.spec.restart === false) {
        this.emit('event', { type: 'exited', name: s.spec.name, code, signal });
        return;
      }
      // Backoff: 0.5 s doubling to 15 s; a child that ran for 30 s is considered healthy again.
      if (Date.now() - s.startedAt > 30_000) s.restarts = 0;
      const delay = Math.min(15_000, 500 * 2 ** Math.min(s.restarts, 5));
      s.restarts += 1;
      this.emit('event', { type: 'exited', name: s.spec.name, code, signal, willRestartInMs: delay });
      s.timer = setTimeout(() => {
        s.timer = undefined;
        if (!this.shuttingDown && !s.stopping) this.launch(s);
      }, delay);
    });
  }

  /** Stops one child (no restart). */
  async stop(name: string): Promise<void> {
    const s = this.children.get(name);
    if (!s) return;
    s.stopping = true;
    if (s.timer) clearTimeout(s.timer);
    await terminate(s.child, s.spec.stopTimeoutMs ?? 10_000);
  }

  /** Sends `signal` to one child (default SIGKILL, a crash) and waits for its exit; it stays down until resume(). */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const s = this.children.get(name);
    if (!s) return;
    s.stopping = true;
    if (s.timer) clearTimeout(s.timer);
    const child = s.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Starts a child that stop() or kill() took down again, with its original spec. */
  resume(name: string): void {
    const s = this.children.get(name);
    if (!s || s.child || this.shuttingDown) return;
    s.stopping = false;
    s.restarts = 0;
    this.launch(s);
  }

  /** Stops children in reverse start order. */
  async stopAll(): Promise<void> {
    this.shuttingDown = true;
    for (const name of [...this.children.keys()].reverse()) await this.stop(name);
  }
}

export async function terminate(child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
