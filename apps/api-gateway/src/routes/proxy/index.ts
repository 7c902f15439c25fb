import { Counter, type Registry } from '@conveyor/runtime/metrics';
import { errorBody, errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { PolicyResolver } from '../../rate-limits.js';
import { isLongPollRoute, type Upstream } from '../../upstreams.js';
import { passBodyThrough } from './body-limit.js';
import { createForwarder } from './forward.js';
import { createRouteGuard } from './guard.js';
import { holdForLongPoll, type LongPollTimeouts } from './long-poll.js';
import { upstreamErrorHandler } from './upstream-errors.js';
import { setupWebSocketProxy } from './websocket.js';

export interface ProxyRoutesOptions {
  upstreams: readonly Upstream[];
  policyFor: PolicyResolver;
  /** The CORS allow-list (CSRF check of cookie-authenticated sockets). */
  allowedOrigins: readonly string[];
  /** Largest request body, and largest WebSocket message, in bytes. */
  bodyLimit: number;
  /** Milliseconds an upstream may take to accept a WebSocket handshake. */
  handshakeTimeoutMs: number;
  /** What a long poll's own timeout is made of (long-poll.ts). */
  longPoll: LongPollTimeouts;
  metrics: Registry;
}

const methods: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

/**
 * Whether a path climbs out of its prefix with a `..` segment, literal or percent-encoded, or
 * with backslashes. Such a path is no route of the gateway's; it answers 404 rather than being
 * forwarded for the service to interpret. Most paths contain none of `.`, `%` or `\`, and are
 * accepted on that one scan.
 */
export function climbsOut(url: string): boolean {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (!/[.%\\]/.test(path)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return decoded.replaceAll('\\', '/').split('/').includes('..');
}

/**
 * Everything under /api that needs a caller: HTTP and WebSocket proxying to the services, and a
 * 404 for unknown paths that still demands a token first (an anonymous caller learns nothing
 * about which paths exist). Encapsulated, so its body handling and guard stay off the public routes.
 */
export default async function proxyRoutes(
  app: FastifyInstance,
  options: ProxyRoutesOptions,
): Promise<void> {
  const parser = passBodyThrough(options.bodyLimit);
  app.addContentTypeParser('application/json', parser);
  app.addContentTypeParser('*', parser);

  const sockets = setupWebSocketProxy(app, {
    maxPayload: options.bodyLimit,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
  });

  // Added before any route below, so every one of them gets its guard.
  const guardFor = createRouteGuard(app, { ...options, isUpgrade: sockets.isUpgrade });
  app.addHook('onRoute', (route) => {
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [guardFor(route), ...existing];
  });

  const failures = new Counter({
    name: 'gateway_upstream_failures_total',
    help: 'Proxied requests answered 502/504 because the upstream failed, by upstream and reason',
    labelNames: ['upstream', 'reason'] as const,
    registers: [options.metrics],
  });

  for (const upstream of options.upstreams) {
    const onFailure = upstreamErrorHandler(upstream.name, failures);
    const forward = createForwarder({
      dispatcher: app.upstreamAgent,
      origin: upstream.url,
      onFailure,
    });
    const handlerFor =
      (longPoll: boolean) =>
      (request: FastifyRequest, reply: FastifyReply): Promise<void> | void => {
        if (climbsOut(request.raw.url!)) throw new HttpError(404, errorText.routeNotFound);
        if (sockets.isUpgrade(request))
          return sockets.accept(request, reply, upstream.url, onFailure);
        // A long poll answers when its wait is over, later than UPSTREAM_TIMEOUT_MS may allow.
        forward(
          request,
          reply,
          longPoll ? holdForLongPoll(request, reply, options.longPoll) : undefined,
        );
      };
    const handler = handlerFor(false);
    const longPollHandler = handlerFor(true);
    for (const { prefix, routes } of upstream.prefixes) {
      for (const route of routes) {
        // Paths go on unchanged: each service serves the full /api/... path itself.
        const url = route === '/' ? prefix : prefix + route;
        app.route({
          method: methods,
          url,
          handler: isLongPollRoute(url) ? longPollHandler : handler,
        });
      }
    }
  }

  const notFound = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(errorBody(errorText.routeNotFound));
  app.route({ method: methods, url: '/api/*', handler: notFound });
  // A route of its own, so an unknown admin path demands ADMIN before it answers 404.
  app.route({ method: methods, url: '/api/admin/*', handler: notFound });
}
