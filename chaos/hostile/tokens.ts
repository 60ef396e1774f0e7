/** The bad credentials of the hostile battery, by name (undefined: no Authorization header at all). */
import { SignJWT } from 'jose';
import { mintToken } from '../../src/api/tokens';
import type { HostileContext } from './cases';

const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');

export async function badTokens(ctx: HostileContext): Promise<Record<string, string | undefined>> {
  const future = Math.floor(Date.now() / 1000) + 3600;
  const secretKey = new TextEncoder().encode(ctx.jwtSecret);
  return {
    'no token': undefined,
    'alg none admin': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', role: 'admin', exp: future })}.`,
    'forged admin (wrong secret)': await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setExpirationTime(future)
      .sign(new TextEncoder().encode('not-the-secret-not-the-secret-not-the-secret')),
    'expired admin': await mintToken(ctx.jwtSecret, {
      sub: 'admin',
      role: 'admin',
      ttlSeconds: 60,
      now: new Date(Date.now() - 3_600_000),
    }),
    'unknown role': await new SignJWT({ role: 'superuser' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setExpirationTime(future)
      .sign(secretKey),
    'no exp': await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .sign(secretKey),
    'sub with SQL': await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject("x'; DROP TABLE payments.events; --")
      .setExpirationTime(future)
      .sign(secretKey),
    'garbage token': 'not.a.jwt',
  };
}
