/** Bearer authentication and the two authorisation rules: own data only, admin-only routes. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError, notFound } from './problem';
import { InvalidTokenError, type Principal, verifyToken } from './tokens';

const unauthorized = (detail: string) =>
  new ApiError(401, 'unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer' });

export function authenticate(secret: string, clock: () => Date): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) throw unauthorized('A bearer token is required.');
    const match = /^Bearer ([A-Za-z0-9_\-.=]{1,4096})$/.exec(header.trim());
    if (!match?.[1]) throw unauthorized('The Authorization header must be "Bearer <token>".');
    try {
      req.principal = await verifyToken(secret, match[1], clock());
    } catch (err) {
      if (err instanceof InvalidTokenError) throw unauthorized(`Invalid token: ${err.message}.`);
      throw err;
    }
    next();
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw unauthorized('A bearer token is required.');
  return req.principal;
}

export function requireAdmin(req: Request): Principal {
  const p = principalOf(req);
  if (p.role !== 'admin') throw new ApiError(403, 'forbidden', 'This operation requires the admin role.');
  return p;
}

/** A customer may only see their own data; anything else reads as "does not exist". */
export function assertOwnData(req: Request, customerId: string, what: string): void {
  const p = principalOf(req);
  if (p.role !== 'admin' && p.sub !== customerId) throw notFound(what);
}
