import { createSigner } from 'fast-jwt';
import type { Claims } from './claims.js';

export interface SignOptions {
  /** The HS256 secret. */
  secret: string;
  /** @defaultValue 3600 (one hour) */
  expiresInSeconds?: number;
}

/**
 * Signs an HS256 token with the given claims. Production tokens come from the identity
 * provider; this serves `pnpm token`, `pnpm dev` and the tests.
 */
export function signToken(claims: Omit<Claims, 'exp'>, options: SignOptions): string {
  const sign = createSigner({
    key: options.secret,
    algorithm: 'HS256',
    expiresIn: (options.expiresInSeconds ?? 3600) * 1000,
  });
  return sign({ ...claims });
}
