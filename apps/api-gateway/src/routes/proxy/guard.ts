import { isCrossSiteRequest } from '@conveyor/service-kit/auth';
import { errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { PolicyResolver, RateLimitPolicy } from '../../rate-limits.js';
import { isAdminRoute } from '../../upstreams.js';

export interface GuardOptions {
  policyFor: PolicyResolver;
  /** The CORS allow-list, also the origins allowed to open a cookie-authenticated socket. */
  allowedOrigins: readonly string[];
}

/**
 * Builds the one onRequest hook of a protected route: authenticate, authorize, then spend the
 * rate-limit budget, in that order, so an anonymous or forbidden call never reaches Redis or a
 * service. The budgets are resolved here, once per route, so a request does a property lookup.
 */
export function createRouteGuard(app: FastifyInstance, options: GuardOptions) {
  return function guardFor(route: RouteOptions) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const policies: Record<string, RateLimitPolicy> = {};
    for (const method of methods) policies[method] = options.policyFor(method, route.url);
    const adminOnly = isAdminRoute(route.url);

    return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      await app.authenticate(request);
      if (adminOnly) await app.requireAdmin(request);
      // A browser sends cookies with a cross-site WebSocket handshake and CORS does not apply to
      // it, so a cookie-authenticated upgrade passes the same origin check as an unsafe method.
      if (
        request.headers.upgrade !== undefined &&
        request.headers.authorization === undefined &&
        isCrossSiteRequest(request, options.allowedOrigins)
      ) {
        throw new HttpError(403, errorText.forbiddenCrossSite);
      }
      await app.consumeRateLimit(
        request,
        reply,
        policies[request.method] ?? options.policyFor(request.method, route.url),
      );
    };
  };
}
