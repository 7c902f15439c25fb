import { createHmac, randomUUID } from 'node:crypto';
import type { Role } from '@conveyor/service-kit/claims';
import { DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import { signToken } from '@conveyor/service-kit/tokens';

/** A valid development token for a new user (or the given one). */
export function tokenFor(role: Role = 'VIEWER', sub: string = `user-${randomUUID()}`): string {
  return signToken({ sub, role }, { secret: DEVELOPMENT_JWT_SECRET });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs any header and payload by hand, so a test can make every kind of bad token. */
function handSigned(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret = DEVELOPMENT_JWT_SECRET,
) {
  const algorithm =
    { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[header.alg as string] ?? 'sha256';
  const unsigned = `${base64url(header)}.${base64url(payload)}`;
  return `${unsigned}.${createHmac(algorithm, secret).update(unsigned).digest('base64url')}`;
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** Tokens the gateway must refuse with 401, by what is wrong with them. */
export function badTokens(): Record<string, string> {
  const claims = { sub: 'user-bad', role: 'VIEWER', exp: inAnHour() };
  return {
    'signed with alg none': `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`,
    'signed with another secret': handSigned(
      { alg: 'HS256', typ: 'JWT' },
      claims,
      'another-secret-of-at-least-32-characters!',
    ),
    'signed with another algorithm': handSigned({ alg: 'HS512', typ: 'JWT' }, claims),
    'expired a minute ago': handSigned(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, exp: Math.floor(Date.now() / 1000) - 60 },
    ),
    'without sub': handSigned({ alg: 'HS256', typ: 'JWT' }, { role: 'VIEWER', exp: inAnHour() }),
    'without exp': handSigned({ alg: 'HS256', typ: 'JWT' }, { sub: 'user-bad', role: 'VIEWER' }),
    'with an unknown role': handSigned(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims, role: 'SUPERUSER' },
    ),
    'with a tampered payload': (() => {
      const [header, , signature] = tokenFor('VIEWER').split('.');
      return `${header}.${base64url({ ...claims, role: 'ADMIN' })}.${signature}`;
    })(),
    'that is not a JWT': 'not-a-jwt',
    'with three garbage segments': 'abc.def.ghi',
    'that is empty': '',
  };
}
