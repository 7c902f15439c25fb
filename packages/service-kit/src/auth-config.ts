import type { Algorithm } from 'fast-jwt';
import { z } from 'zod';

/**
 * The development signing secret. `pnpm dev` and `pnpm token` use it; a production process
 * refuses to start with it.
 */
export const DEVELOPMENT_JWT_SECRET = 'conveyor-development-secret-change-me-in-production';

/** The cookie that carries the session token when no Authorization header is sent. */
export const DEFAULT_SESSION_COOKIE = 'conveyor_session';

const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
  'ES384',
  'EdDSA',
] as const;

/** Token verification settings shared by the gateway and every service. */
export const authConfigShape = {
  /** HS256 shared secret of the identity provider. Ignored when JWT_PUBLIC_KEY is set. */
  JWT_SECRET: z
    .string()
    .min(32, { error: 'must be at least 32 characters' })
    .default(DEVELOPMENT_JWT_SECRET),
  /** PEM public key of the identity provider; switches verification to JWT_ALGORITHM. */
  JWT_PUBLIC_KEY: z.string().optional(),
  /** The one algorithm accepted with JWT_PUBLIC_KEY. @defaultValue `RS256` */
  JWT_ALGORITHM: z.enum(asymmetricAlgorithms).default('RS256'),
  /** When set, the `iss` claim must equal it. */
  JWT_ISSUER: z.string().optional(),
  /** When set, the `aud` claim must include it. */
  JWT_AUDIENCE: z.string().optional(),
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[\w-]+$/)
    .default(DEFAULT_SESSION_COOKIE),
} as const;

export type AuthConfig = z.output<z.ZodObject<typeof authConfigShape>>;

/**
 * Cross-field rule of every app's config: production never runs on the development secret.
 * Use inside the app schema's `superRefine`.
 */
export function refuseDevelopmentSecret(
  config: { NODE_ENV: string; JWT_SECRET: string; JWT_PUBLIC_KEY?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (
    config.NODE_ENV === 'production' &&
    !config.JWT_PUBLIC_KEY &&
    config.JWT_SECRET === DEVELOPMENT_JWT_SECRET
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message:
        'is the development secret; set the identity provider secret or JWT_PUBLIC_KEY in production',
    });
  }
}

/** The key and the single algorithm a verifier accepts: pinned, never taken from the token. */
export function verificationKey(config: AuthConfig): { key: string; algorithm: Algorithm } {
  return config.JWT_PUBLIC_KEY
    ? { key: config.JWT_PUBLIC_KEY, algorithm: config.JWT_ALGORITHM }
    : { key: config.JWT_SECRET, algorithm: 'HS256' };
}
