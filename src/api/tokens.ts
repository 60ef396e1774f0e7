/**
 * Bearer tokens: HS256 JWTs with `sub` (customer id), `role` and `exp`. `mintToken` is what `npm start`
 * uses to print demo credentials and what the tests use; `verifyToken` is what the gateway accepts.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  sub: string;
  role: Role;
}

export const SUBJECT_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;

const Claims = z.object({
  sub: z.string().regex(SUBJECT_PATTERN),
  role: z.enum(ROLES),
  exp: z.number().int(),
});

const key = (secret: string) => new TextEncoder().encode(secret);

export async function mintToken(
  secret: string,
  opts: { sub: string; role: Role; ttlSeconds?: number; now?: Date },
): Promise<string> {
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ role: opts.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (opts.ttlSeconds ?? 3600))
    .sign(key(secret));
}

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** Verifies signature (HS256 only), expiry and claims; throws InvalidTokenError otherwise. */
export async function verifyToken(secret: string, token: string, now: Date = new Date()): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp'],
      currentDate: now,
    });
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new InvalidTokenError('token claims are invalid');
    return { sub: claims.data.sub, role: claims.data.role };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw err;
    if (err instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
    throw new InvalidTokenError('token is malformed or its signature is invalid');
  }
}
