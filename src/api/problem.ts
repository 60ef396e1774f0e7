/**
 * One error class for the HTTP layer and one central handler that answers RFC 9457
 * `application/problem+json`. Nothing else writes error responses. Unknown errors become a bare 500
 * (logged with their stack; never sent), infrastructure outages a 503 with Retry-After.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors';
import { isInfrastructureError } from './infra-errors';

export interface FieldError {
  path: string;
  message: string;
}

export const PROBLEM_BASE = 'https://order-saga.dev/problems/';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    /** short machine-readable slug, becomes the problem `type` URI */
    readonly slug: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ApiError(400, 'validation-error', detail, errors);
export const notFound = (what = 'resource') => new ApiError(404, 'not-found', `The ${what} does not exist.`);
export const unavailable = (detail: string, retryAfterSeconds = 5) =>
  new ApiError(503, 'service-unavailable', detail, undefined, { 'Retry-After': String(retryAfterSeconds) });

/** BUS_ENABLED=false: what needs the bus (choreography, the timeline, the demand) answers 501 `bus-disabled`. */
export function assertBusEnabled(config: { busEnabled?: boolean }, what: string): void {
  if (config.busEnabled !== false) return;
  throw new ApiError(
    501,
    'bus-disabled',
    `${what} needs the event bus, and this deployment runs without it (BUS_ENABLED=false).`,
  );
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
}

export function problemBody(err: ApiError, instance?: string): ProblemBody {
  return {
    type: PROBLEM_BASE + err.slug,
    title: TITLES[err.status] ?? 'Error',
    status: err.status,
    detail: err.detail,
    ...(instance ? { instance } : {}),
    ...(err.errors ? { errors: err.errors } : {}),
  };
}

/** Maps what body-parser, express and our own code throw to an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DomainError) return new ApiError(422, 'business-rule', err.message);
  const e = err as { type?: string; status?: number; expose?: boolean } | null;
  switch (e?.type) {
    case 'entity.too.large':
      return new ApiError(413, 'body-too-large', 'The request body exceeds the 100 kB limit.');
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed-json', 'The request body is not valid JSON.');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ApiError(415, 'unsupported-media-type', 'Unsupported body charset or encoding.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError(400, 'bad-request', 'The request body could not be read.');
  }
  if (err instanceof URIError) {
    return new ApiError(400, 'bad-request', 'The request path is not validly percent-encoded.');
  }
  // http-errors style client errors from express and body-parser
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new ApiError(e.status, 'bad-request', 'The request could not be processed.');
  }
  if (isInfrastructureError(err)) {
    return unavailable('A backing service (Postgres or Temporal) is unavailable; retry later.');
  }
  return new ApiError(500, 'internal-error', 'An unexpected error occurred.');
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const apiError = toApiError(err);
    const log = (req as { log?: Logger }).log ?? logger;
    if (apiError.status >= 500) log.error({ err }, 'request failed: %s', apiError.detail);
    else log.debug({ status: apiError.status, detail: apiError.detail }, 'request rejected');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, apiError, req.originalUrl);
  };
}

export function sendProblem(res: Response, err: ApiError, instance?: string): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res
    .status(err.status)
    .type('application/problem+json')
    .send(JSON.stringify(problemBody(err, instance)));
}
