/**
 * The gateway's Prometheus metrics (its own registry, so several apps can live in one process) and
 * /metrics, which appends the workers' metrics fetched from their /metrics URLs. Families that appear in
 * several sources are merged under one HELP/TYPE, each worker's samples labelled with `source`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class HttpMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered by the gateway, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency of the gateway, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly workerScrapeUp = new Counter({
    name: 'gateway_worker_metrics_scrapes_total',
    help: 'Scrapes of worker /metrics by the gateway, by source and outcome.',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly stuck = new Gauge({
    name: 'orders_stuck',
    help: 'Choreographed orders with no progress past their step deadline plus CHOREOGRAPHY_STUCK_GRACE_MS, as of this scrape.',
    labelNames: ['coordination'] as const,
    registers: [this.registry],
  });
  private readonly stuckOldest = new Gauge({
    name: 'orders_stuck_oldest_age_seconds',
    help: 'Seconds since the longest-stuck choreographed order last progressed (0: none), as of this scrape.',
    labelNames: ['coordination'] as const,
    registers: [this.registry],
  });

  setStuck(s: { count: number; oldestAgeSeconds: number }): void {
    this.stuck.set({ coordination: 'choreography' }, s.count);
    this.stuckOldest.set({ coordination: 'choreography' }, s.oldestAgeSeconds);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }
}

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?(\s.*)$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Merges Prometheus text expositions; samples of labelled sources get an extra `source` label. */
export function mergeExpositions(parts: { source?: string; text: string }[]): string {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const part of parts) {
    let current: string | undefined;
    for (const line of part.text.split('\n')) {
      if (!line.trim()) continue;
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (meta) {
        const [, kind, name, rest] = meta as unknown as [string, string, string, string];
        current = name;
        const f = family(name);
        if (kind === 'HELP') f.help ??= rest;
        else f.type ??= rest;
        continue;
      }
      if (line.startsWith('#')) continue;
      const m = SAMPLE.exec(line);
      if (!m) continue;
      const [, name, labels, rest] = m as unknown as [string, string, string | undefined, string];
      const owner = current && (name === current || name.startsWith(`${current}_`)) ? current : name;
      let sample = line;
      if (part.source) {
        const extra = `source="${escapeLabel(part.source)}"`;
        const inner = labels ? labels.slice(1, -1) : '';
        sample = `${name}{${inner ? `${inner},` : ''}${extra}}${rest}`;
      }
      family(owner).samples.push(sample);
    }
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== undefined) out.push(`# HELP ${name} ${f.help}`);
    if (f.type !== undefined) out.push(`# TYPE ${name} ${f.type}`);
    out.push(...f.samples);
  }
  return `${out.join('\n')}\n`;
}

/** Fetches each worker's /metrics with a short timeout; an unreachable worker is skipped. */
export async function gatherWorkerMetrics(
  urls: string[],
  metrics: HttpMetrics,
  timeoutMs = 1000,
): Promise<{ source: string; text: string }[]> {
  const results = await Promise.all(
    urls.map(async (url) => {
      const source = new URL(url).host;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const text = await response.text();
        metrics.workerScrapeUp.inc({ source, outcome: 'ok' });
        return { source, text };
      } catch {
        metrics.workerScrapeUp.inc({ source, outcome: 'error' });
        return undefined;
      }
    }),
  );
  return results.filter((r): r is { source: string; text: string } => r !== undefined);
}
