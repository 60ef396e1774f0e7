/**
 * Where the CPU goes: user + system CPU seconds of the stack's processes, grouped, read from Linux /proc
 * (undefined elsewhere). The bench takes a snapshot before and after each closed-loop run and divides the
 * difference by the orders completed in it, so every kind (saga, bare, stubbed) gets CPU milliseconds per
 * order by process group. Groups: the Temporal dev server, the stack's service workers, the bench-only
 * workers, the API, the carrier stub, Postgres (the postmaster and every backend it forked, including those
 * that ended in between) and the bench process itself.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export type CpuGroup =
  'temporalServer' | 'serviceWorkers' | 'benchWorkers' | 'api' | 'carrier' | 'postgres' | 'benchProcess';

export type CpuSnapshot = Record<CpuGroup, number>;

export const emptySnapshot = (): CpuSnapshot => ({
  temporalServer: 0,
  serviceWorkers: 0,
  benchWorkers: 0,
  api: 0,
  carrier: 0,
  postgres: 0,
  benchProcess: 0,
});

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
  /** CPU of its children that exited and were reaped (a Postgres backend that ended, for the postmaster) */
  reapedChildrenSeconds: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after "(comm)": state ppid ... utime(12th) stime(13th) cutime(14th) cstime(15th)
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(rest[1]),
      cpuSeconds: (Number(rest[11]) + Number(rest[12])) / clockTicks(),
      reapedChildrenSeconds: (Number(rest[13]) + Number(rest[14])) / clockTicks(),
    };
  } catch {
    return undefined;
  }
}

export function groupOf(supervisedName: string): CpuGroup {
  if (supervisedName === 'temporal') return 'temporalServer';
  if (supervisedName === 'api') return 'api';
  if (supervisedName === 'carrier') return 'carrier';
  if (supervisedName.startsWith('bench-')) return 'benchWorkers';
  return 'serviceWorkers';
}

/**
 * `processes`: supervised name → pid; `postmasterPid`: the embedded Postgres (its forked backends are found
 * through their parent pid). Undefined when /proc is not there.
 */
export function cpuSnapshot(
  processes: { name: string; pid: number | undefined }[],
  postmasterPid: number | undefined,
): CpuSnapshot | undefined {
  if (!fs.existsSync('/proc/self/stat')) return undefined;
  const snap = emptySnapshot();
  for (const p of processes) {
    const s = p.pid === undefined ? undefined : procStat(p.pid);
    if (s) snap[groupOf(p.name)] += s.cpuSeconds;
  }
  if (postmasterPid !== undefined) {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const s = procStat(pid);
      if (!s) continue;
      // live backends, plus those that ended since (the postmaster reaps them: its children's CPU)
      if (pid === postmasterPid) snap.postgres += s.cpuSeconds + s.reapedChildrenSeconds;
      else if (s.ppid === postmasterPid) snap.postgres += s.cpuSeconds;
    }
  }
  const self = process.cpuUsage();
  snap.benchProcess = (self.user + self.system) / 1e6;
  return snap;
}

/** after − before, in CPU milliseconds per order (orders > 0), with a total. */
export function perOrder(
  before: CpuSnapshot,
  after: CpuSnapshot,
  orders: number,
): Record<CpuGroup | 'total', number> {
  const out = {} as Record<CpuGroup | 'total', number>;
  let total = 0;
  for (const k of Object.keys(before) as CpuGroup[]) {
    const ms = ((after[k] - before[k]) * 1000) / Math.max(1, orders);
    out[k] = Math.round(ms * 10) / 10;
    total += ms;
  }
  out.total = Math.round(total * 10) / 10;
  return out;
}
