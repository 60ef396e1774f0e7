/**
 * The HTTP gateway as an express app, built from its dependencies (no environment, no listening):
 * server.ts is the composition root, the tests call createApp with real Postgres and Temporal.
 *
 * Pipeline: request id + log + metrics → open routes (/health, /metrics, /openapi.json, /asyncapi.json) → bearer auth →
 * media type (415) → JSON body (100 kB → 413, malformed → 400) → routes → 404 → problem+json handler.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { authenticate } from './auth';
import type { AppContext, AppDeps } from './context';
import { IdempotencyStore } from './idempotency';
import { HttpMetrics } from './metrics';
import { ApiError, problemHandler } from './problem';
import { requestContext } from './request-context';
import { accountsRouter } from './routes/accounts';
import { inventoryRouter } from './routes/inventory';
import { opsRouter } from './routes/ops';
import { ordersRouter } from './routes/orders';
import { SagaGateway } from './sagas';

export type { AppDeps, ApiConfig } from './context';

export const BODY_LIMIT_BYTES = 100 * 1024;

function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** A request with a body must say it is JSON. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  if (hasBody(req) && !req.is('application/json')) {
    throw new ApiError(415, 'unsupported-media-type', 'The request body must be application/json.');
  }
  next();
}

export function createApp(deps: AppDeps): express.Express & { context: AppContext } {
  const clock = deps.clock ?? (() => new Date());
  const metrics = new HttpMetrics();
  const ctx: AppContext = {
    ...deps,
    clock,
    metrics,
    sagas: new SagaGateway(
      deps.temporal,
      deps.config.temporalDeadlineMs,
      deps.config.queryDeadlineMs,
      deps.config.threePcTimeoutMs,
    ),
    idempotency: new IdempotencyStore(deps.pool, clock),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger, metrics));
  app.use(opsRouter(ctx));
  app.use(authenticate(deps.config.jwtSecret, clock));
  app.use(requireJson);
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true, type: () => true }));
  app.use(ordersRouter(ctx));
  app.use(accountsRouter(ctx));
  app.use(inventoryRouter(ctx));
  app.use((req: Request) => {
    throw new ApiError(404, 'not-found', `No route for ${req.method} ${req.path}.`);
  });
  app.use(problemHandler(deps.logger));
  return Object.assign(app, { context: ctx });
}
