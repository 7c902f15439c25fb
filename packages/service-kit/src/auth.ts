// Kept in the emitted declarations: apps compiled against dist/ need @fastify/jwt's
// `request.user` augmentation, which a type-only import would drop.
/// <reference types="@fastify/jwt" preserve="true" />
import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { verificationKey, type AuthConfig } from './auth-config.js';
import { ClaimsSchema, type Claims } from './claims.js';
import { errorText, HttpError } from './errors.js';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Claims;
    user: Claims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: verifies the token (header or session cookie) and sets `request.user`. */
    authenticate: (request: FastifyRequest) => Promise<void>;
    /** onRequest hook, after `authenticate`: 403 `Forbidden: Admin access required` unless ADMIN. */
    requireAdmin: (request: FastifyRequest) => Promise<void>;
  }
}

export interface AuthPluginOptions {
  config: AuthConfig;
  /**
   * Origins allowed to send cookie-authenticated unsafe requests when the browser does not
   * say the request is same-origin (the CORS allow-list).
   */
  allowedOrigins: readonly string[];
  /** Called once per verified request, e.g. to provision the user just in time. */
  onAuthenticated?: (claims: Claims, request: FastifyRequest) => Promise<void>;
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF defence for cookie sessions (Fetch Metadata, then Origin). A browser labels every
 * request with `Sec-Fetch-Site`, older ones at least with `Origin`; a client that sends
 * neither is not a browser, so its cookie is no ambient credential.
 */
export function isCrossSiteRequest(
  request: FastifyRequest,
  allowedOrigins: readonly string[],
): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return false;
  const origin = request.headers.origin;
  if (origin !== undefined) return !allowedOrigins.includes(origin);
  return site === 'cross-site' || site === 'same-site';
}

async function authPlugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { key, algorithm } = verificationKey(options.config);
  await app.register(fastifyCookie);
  await app.register(fastifyJwt, {
    secret: key,
    cookie: { cookieName: options.config.SESSION_COOKIE_NAME, signed: false },
    verify: {
      algorithms: [algorithm],
      requiredClaims: ['sub', 'exp'],
      // Verified tokens are remembered (bounded LRU, never past `exp`): the hot path pays one
      // signature check per token, not per request.
      cache: 10_000,
      ...(options.config.JWT_ISSUER ? { allowedIss: options.config.JWT_ISSUER } : {}),
      ...(options.config.JWT_AUDIENCE ? { allowedAud: options.config.JWT_AUDIENCE } : {}),
    },
  });

  // The verifier's cache hands back the same payload object for the same token, so the claims
  // check runs once per token too.
  const checkedClaims = new WeakMap<object, Claims>();

  app.decorate('authenticate', async (request: FastifyRequest) => {
    let payload: object;
    try {
      payload = await request.jwtVerify<object>();
    } catch {
      throw new HttpError(401, errorText.unauthorized);
    }
    let claims = checkedClaims.get(payload);
    if (!claims) {
      const parsed = ClaimsSchema.safeParse(payload);
      if (!parsed.success) throw new HttpError(401, errorText.unauthorized);
      claims = parsed.data;
      checkedClaims.set(payload, claims);
    }
    request.user = claims;
    const viaCookie = request.headers.authorization === undefined;
    if (
      viaCookie &&
      unsafeMethods.has(request.method) &&
      isCrossSiteRequest(request, options.allowedOrigins)
    ) {
      throw new HttpError(403, errorText.forbiddenCrossSite);
    }
    await options.onAuthenticated?.(claims, request);
  });

  app.decorate('requireAdmin', async (request: FastifyRequest) => {
    if (request.user?.role !== 'ADMIN') throw new HttpError(403, errorText.forbiddenAdmin);
  });
}

export default fp(authPlugin, { name: 'conveyor-auth', fastify: '5.x' });
