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

/**
 * The token @fastify/jwt's `jwtVerify` would read, by the same rules: `Authorization: Bearer
 * <token>` (exactly two parts), else the session cookie. `undefined` when neither is usable; the
 * verifier then gives the 401.
 */
function presentedToken(request: FastifyRequest, cookieName: string): string | undefined {
  const header = request.headers.authorization;
  if (header && /^Bearer\s/i.test(header)) {
    const parts = header.split(' ');
    return parts.length === 2 && parts[1] ? parts[1] : undefined;
  }
  return request.cookies?.[cookieName] || undefined;
}

/**
 * Claims of tokens verified before, by token, each until its `exp`; at most `size` tokens, the
 * oldest forgotten first.
 *
 * Why: `jwtVerify` costs far more than its cached signature check. Per request @fastify/jwt
 * merges its options, decodes the token (base64 and JSON.parse of header and payload), runs a
 * callback waterfall and hashes the token for fast-jwt's cache key. On `pnpm bench gateway` that
 * was about a tenth of the gateway's CPU per request (`perf`, inclusive time of
 * `requestVerify`); the services verify the token again and paid the same. A remembered token
 * costs one Map lookup and a clock read. What a verified token proves does not change before it
 * expires (signature, algorithm, issuer, audience, claims; `nbf` is already past), so only
 * `exp` is checked again, on every use.
 */
function createClaimsMemo(size: number) {
  const claimsByToken = new Map<string, Claims>();
  return {
    get(token: string): Claims | undefined {
      const claims = claimsByToken.get(token);
      if (claims === undefined) return undefined;
      if (claims.exp * 1000 > Date.now()) return claims;
      claimsByToken.delete(token);
      return undefined;
    },
    set(token: string, claims: Claims): void {
      if (claimsByToken.size >= size) claimsByToken.delete(claimsByToken.keys().next().value!);
      claimsByToken.set(token, claims);
    },
  };
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

  const remembered = createClaimsMemo(10_000);
  const cookieName = options.config.SESSION_COOKIE_NAME;

  app.decorate('authenticate', async (request: FastifyRequest) => {
    const token = presentedToken(request, cookieName);
    let claims = token === undefined ? undefined : remembered.get(token);
    if (!claims) {
      let payload: object;
      try {
        payload = await request.jwtVerify<object>();
      } catch {
        throw new HttpError(401, errorText.unauthorized);
      }
      const parsed = ClaimsSchema.safeParse(payload);
      if (!parsed.success) throw new HttpError(401, errorText.unauthorized);
      claims = parsed.data;
      if (token !== undefined) remembered.set(token, claims);
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
