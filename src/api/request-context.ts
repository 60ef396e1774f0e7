/**
 * Per-request context: the request id (X-Request-Id in and out; it also travels into the workflow and
 * the events' metadata), a child logger carrying it, one structured log line per request, and the HTTP
 * metrics observed on finish.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { HttpMetrics } from './metrics';
import type { Principal } from './tokens';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    requestId: string;
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

// For requests rejected before routing (401, 413, 415, malformed JSON): the pattern their path matches.
const TEMPLATES: [RegExp, string][] = [
  [/^\/orders\/?$/, '/orders'],
  [/^\/orders\/[^/]+\/?$/, '/orders/:orderId'],
  [/^\/orders\/[^/]+\/events\/?$/, '/orders/:orderId/events'],
  [/^\/orders\/[^/]+\/cancel\/?$/, '/orders/:orderId/cancel'],
  [/^\/accounts\/[^/]+\/?$/, '/accounts/:customerId'],
  [/^\/accounts\/[^/]+\/events\/?$/, '/accounts/:customerId/events'],
  [/^\/accounts\/[^/]+\/deposits\/?$/, '/accounts/:customerId/deposits'],
  [/^\/inventory\/[^/]+\/?$/, '/inventory/:sku'],
  [/^\/inventory\/[^/]+\/restock\/?$/, '/inventory/:sku/restock'],
];

/** The route pattern (e.g. /orders/:orderId) for metric labels; never the raw path (unbounded). */
export function routeLabel(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  const path = req.originalUrl.split('?')[0] ?? '';
  return TEMPLATES.find(([re]) => re.test(path))?.[1] ?? 'unmatched';
}

export function requestContext(logger: Logger, metrics: HttpMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    req.requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    req.log = logger.child({ requestId: req.requestId });
    res.setHeader('X-Request-Id', req.requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req);
      metrics.observe(req.method, route, res.statusCode, seconds);
      req.log.info(
        {
          method: req.method,
          route,
          status: res.statusCode,
          durationMs: Math.round(seconds * 1000),
          sub: req.principal?.sub,
        },
        'request completed',
      );
    });
    next();
  };
}
