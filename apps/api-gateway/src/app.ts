import type { Logger } from '@conveyor/runtime/logger';
import type { Registry } from '@conveyor/runtime/metrics';
import { createServiceApp } from '@conveyor/service-kit/app';
import authPlugin from '@conveyor/service-kit/auth';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import cors from './plugins/cors.js';
import rateLimit from './plugins/rate-limit.js';
import upstreamAgent from './plugins/upstream-agent.js';
import { createPolicyResolver, type RateLimitSettings } from './rate-limits.js';
import healthRoutes from './routes/health/index.js';
import mediaRoutes from './routes/media/index.js';
import openApiRoutes from './routes/openapi/index.js';
import proxyRoutes from './routes/proxy/index.js';
import { upstreamsFrom } from './upstreams.js';

/** Prefix of the rate-limit counters in Redis unless `AppDeps.rateLimitPrefix` says otherwise. */
export const DEFAULT_RATE_LIMIT_PREFIX = 'conveyor:rate-limit:';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Registry;
  /**
   * A fail-fast connection (no offline queue, a short command timeout) for the rate limiter and
   * the readiness check. Opened and closed by the caller.
   */
  redis: Redis;
  /** Prefix of every rate-limit key; gateways that share a prefix share budgets. @defaultValue `conveyor:rate-limit:` */
  rateLimitPrefix?: string;
}

/**
 * The API gateway: authentication, authorization and per-user rate limits in front of the
 * notifications, admin-jobs and webhooks services, HTTP and WebSocket proxying to them, their
 * merged OpenAPI document, health and metrics. It never listens; `main.ts` does.
 */
export async function buildApp(deps: AppDeps) {
  const { config } = deps;
  const upstreams = upstreamsFrom(config);
  const rateLimits: RateLimitSettings = {
    scale: config.RATE_LIMIT_SCALE,
    defaultRead: config.RATE_LIMIT_DEFAULT_READ,
    defaultWrite: config.RATE_LIMIT_DEFAULT_WRITE,
  };

  const app = createServiceApp({ http: config, logger: deps.logger, metrics: deps.metrics });
  await app.register(upstreamAgent, {
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
  });
  await app.register(cors, { origins: config.CORS_ORIGINS });
  await app.register(authPlugin, { config, allowedOrigins: config.CORS_ORIGINS });
  await app.register(rateLimit, {
    redis: deps.redis,
    keyPrefix: deps.rateLimitPrefix ?? DEFAULT_RATE_LIMIT_PREFIX,
    onRedisDown: config.RATE_LIMIT_ON_REDIS_DOWN,
    metrics: deps.metrics,
  });

  await app.register(healthRoutes, { redis: deps.redis, upstreams, metrics: deps.metrics });
  await app.register(openApiRoutes, {
    upstreams,
    sessionCookie: config.SESSION_COOKIE_NAME,
    rateLimits,
    // A person waits for this page: a stuck service is reported missing rather than waited on.
    timeoutMs: Math.min(config.UPSTREAM_TIMEOUT_MS, 5_000),
  });
  if (config.MEDIA_SERVE_ROOT !== undefined) {
    await app.register(mediaRoutes, {
      root: config.MEDIA_SERVE_ROOT,
      path: config.MEDIA_PUBLIC_PATH,
    });
  }
  await app.register(proxyRoutes, {
    upstreams,
    policyFor: createPolicyResolver(rateLimits),
    allowedOrigins: config.CORS_ORIGINS,
    bodyLimit: config.BODY_LIMIT_BYTES,
    handshakeTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    longPoll: {
      upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
      connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
      maxWaitMs: config.LONG_POLL_MAX_MS,
    },
    metrics: deps.metrics,
  });
  return app;
}
