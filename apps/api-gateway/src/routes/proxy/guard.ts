import { isCrossSiteRequest } from '@conveyor/service-kit/auth';
import { errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { PolicyResolver, RateLimitPolicy } from '../../rate-limits.js';
import { acceptsTicketUpgrade, isAdminRoute } from '../../upstreams.js';

export interface GuardOptions {
  policyFor: PolicyResolver;
  /** The CORS allow-list, also the origins allowed to open a cookie-authenticated socket. */
  allowedOrigins: readonly string[];
  /** Whether a request is a WebSocket handshake the proxy would upgrade (websocket.ts). */
  isUpgrade: (request: FastifyRequest) => boolean;
}

/** A WebSocket handshake that presents a `?ticket=` for the service to redeem. */
function presentsTicket(request: FastifyRequest, isUpgrade: GuardOptions['isUpgrade']): boolean {
  return isUpgrade(request) && (request.query as Record<string, unknown>).ticket !== undefined;
}

/**
 * A browser sends cookies with a cross-site WebSocket handshake and CORS does not apply to it,
 * so a handshake without a bearer token passes the same origin check as an unsafe method.
 */
function refuseCrossSiteHandshake(request: FastifyRequest, allowedOrigins: readonly string[]) {
  if (
    request.headers.upgrade !== undefined &&
    request.headers.authorization === undefined &&
    isCrossSiteRequest(request, allowedOrigins)
  ) {
    throw new HttpError(403, errorText.forbiddenCrossSite);
  }
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
    const ticketUpgrades = acceptsTicketUpgrade(route.url);

    return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      if (ticketUpgrades && presentsTicket(request, options.isUpgrade)) {
        // The ticket is the credential, and the service the socket belongs to redeems it (once,
        // as the token's user) from the ticket store the services share in Redis; it judges the
        // claims (ADMIN on an admin stream) and refuses a bad ticket with 401 before the socket
        // opens, so no token or role check here. No rate limit: there is no verified user to
        // count yet, and every ticket was bought with an authenticated, rate-limited
        // POST /api/realtime/ticket.
        refuseCrossSiteHandshake(request, options.allowedOrigins);
        return;
      }
      await app.authenticate(request);
      if (adminOnly) await app.requireAdmin(request);
      refuseCrossSiteHandshake(request, options.allowedOrigins);
      await app.consumeRateLimit(
        request,
        reply,
        policies[request.method] ?? options.policyFor(request.method, route.url),
      );
    };
  };
}
