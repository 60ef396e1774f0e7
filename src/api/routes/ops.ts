/** Unauthenticated operational endpoints: /health, /metrics, /openapi.json, /asyncapi.json. */
import { Router } from 'express';
import { asyncApiDocument } from '../../bus/asyncapi';
import type { AppContext } from '../context';
import { gatherWorkerMetrics, mergeExpositions } from '../metrics';
import { openApiDocument } from '../openapi';
import { stuckGraceOf } from './choreographed-orders';
import type { HealthCheckResult } from '../wiring';

function withTimeout<T>(ms: number, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const failed = (err: unknown): HealthCheckResult => ({
  ok: false,
  error: err instanceof Error ? err.message.slice(0, 200) : 'failed',
});

export function opsRouter(ctx: AppContext): Router {
  const router = Router();
  const probeMs = ctx.config.probeTimeoutMs ?? 1500;

  router.get('/health', async (_req, res) => {
    const [postgres, temporal, services] = await Promise.all([
      withTimeout(probeMs, ctx.pool.query('SELECT 1')).then((): HealthCheckResult => ({ ok: true }), failed),
      withTimeout(
        probeMs,
        ctx.temporal.withDeadline(Date.now() + probeMs, () => ctx.temporal.workflowService.getSystemInfo({})),
      ).then((): HealthCheckResult => ({ ok: true }), failed),
      withTimeout(probeMs, ctx.services.health.check({ stuckGraceMs: stuckGraceOf(ctx.config) })).catch(
        (err: unknown): Record<string, HealthCheckResult> => ({ eventStore: failed(err) }),
      ),
    ]);
    const checks: Record<string, HealthCheckResult> = { postgres, temporal, ...services };
    const failing = Object.entries(checks)
      .filter(([, c]) => !c.ok)
      .map(([name]) => name);
    res.status(failing.length ? 503 : 200).json({
      status: failing.length ? 'degraded' : 'ok',
      ...(failing.length ? { failing } : {}),
      checks,
    });
  });

  router.get('/metrics', async (_req, res) => {
    const [workers] = await Promise.all([
      gatherWorkerMetrics(ctx.config.workerMetricsUrls, ctx.metrics, probeMs),
      // the gauge keeps its last value when Postgres does not answer in time
      withTimeout(probeMs, ctx.services.choreography.stuck(stuckGraceOf(ctx.config))).then(
        (s) => ctx.metrics.setStuck(s),
        () => undefined,
      ),
    ]);
    const own = await ctx.metrics.registry.metrics();
    res.type(ctx.metrics.registry.contentType).send(mergeExpositions([{ text: own }, ...workers]));
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  router.get('/asyncapi.json', (_req, res) => {
    res.json(asyncApiDocument());
  });

  return router;
}
