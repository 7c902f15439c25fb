import { Counter, type Registry } from '@conveyor/runtime/metrics';
import { REQUEST_ID_HEADER } from '@conveyor/service-kit/app';
import { errorBody, errorText } from '@conveyor/service-kit/errors';
import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { PolicyResolver } from '../../rate-limits.js';
import type { Upstream } from '../../upstreams.js';
import { passBodyThrough } from './body-limit.js';
import { createRouteGuard } from './guard.js';
import { upstreamErrorHandler } from './upstream-errors.js';

export interface ProxyRoutesOptions {
  upstreams: readonly Upstream[];
  policyFor: PolicyResolver;
  /** The CORS allow-list (CSRF check of cookie-authenticated sockets). */
  allowedOrigins: readonly string[];
  /** Largest request body, and largest WebSocket message, in bytes. */
  bodyLimit: number;
  /** Milliseconds an upstream may take to accept a WebSocket handshake. */
  handshakeTimeoutMs: number;
  metrics: Registry;
}

const methods: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

type ReplyOptions = NonNullable<FastifyHttpProxyOptions['replyOptions']>;

/**
 * The caller's request id travels on, so one id follows the request into the service and its
 * jobs. The headers are already reply-from's copy of the request's, so they are written in place.
 */
const forwardRequestId: NonNullable<ReplyOptions['rewriteRequestHeaders']> = (request, headers) => {
  headers[REQUEST_ID_HEADER] = request.id;
  return headers;
};

/** A socket's handshake to the service carries the caller's credentials and request id. */
function socketHandshakeHeaders(
  headers: Record<string, string>,
  request: FastifyRequest,
): Record<string, string> {
  const forwarded: Record<string, string> = { ...headers, [REQUEST_ID_HEADER]: request.id };
  if (request.headers.authorization !== undefined)
    forwarded.authorization = request.headers.authorization;
  if (request.headers.cookie !== undefined) forwarded.cookie = request.headers.cookie;
  return forwarded;
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

  // Added before any route below, so every one of them (the proxies' included) gets its guard.
  const guardFor = createRouteGuard(app, options);
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
    const onError = upstreamErrorHandler(upstream.name, failures);
    for (const { prefix, routes } of upstream.prefixes) {
      await app.register(httpProxy, {
        upstream: upstream.url,
        prefix,
        rewritePrefix: prefix,
        routes: [...routes],
        httpMethods: methods,
        // The body stays a stream (see body-limit.ts); the parsers above replace the plugin's.
        proxyPayloads: false,
        undici: app.upstreamAgent,
        disableRequestLogging: true,
        replyOptions: {
          rewriteRequestHeaders: forwardRequestId,
          onError,
          retryDelay: () => null,
        },
        websocket: true,
        wsServerOptions: { maxPayload: options.bodyLimit },
        wsClientOptions: {
          maxPayload: options.bodyLimit,
          handshakeTimeout: options.handshakeTimeoutMs,
          // The plugin's default forwards the cookie only.
          rewriteRequestHeaders: socketHandshakeHeaders,
        } as Record<string, unknown>,
      });
    }
  }

  const notFound = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(errorBody(errorText.routeNotFound));
  app.route({ method: methods, url: '/api/*', handler: notFound });
  // A route of its own, so an unknown admin path demands ADMIN before it answers 404.
  app.route({ method: methods, url: '/api/admin/*', handler: notFound });
}
