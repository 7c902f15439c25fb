import { Counter, type Registry } from '@conveyor/runtime/metrics';
import { errorText, HttpError } from '@conveyor/service-kit/errors';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { RATE_LIMIT_WINDOW_MS, type RateLimitPolicy } from '../rate-limits.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The budget this request draws from; set by `consumeRateLimit` for the key generator. */
    rateLimitPolicy: RateLimitPolicy | null;
  }
  interface FastifyInstance {
    /**
     * Spends one request of the caller's budget for `policy` and sets the X-RateLimit headers;
     * throws 429 when the budget is spent. Needs `request.user` (run it after authentication).
     */
    consumeRateLimit: (
      request: FastifyRequest,
      reply: FastifyReply,
      policy: RateLimitPolicy,
    ) => Promise<void>;
  }
}

export interface RateLimitPluginOptions {
  /** A fail-fast connection (no offline queue, short command timeout): it decides how fast an outage answers. */
  redis: Redis;
  /** Prefix of every counter key in Redis. */
  keyPrefix: string;
  /** `open`: proceed without headers when Redis fails; `closed`: answer 503. */
  onRedisDown: 'open' | 'closed';
  metrics: Registry;
}

/** At most one outage warning per interval: during an outage every request fails the same way. */
const outageWarningIntervalMs = 10_000;

/**
 * Per-user, per-endpoint budgets counted in Redis by @fastify/rate-limit's Redis store, so every
 * gateway instance spends the same budget: one EVALSHA (INCR plus PEXPIRE or PTTL) per request.
 *
 * The plugin's own route hook is not used (`global: false`): `createRateLimit()` gives the same
 * limiter with the outcome in our hands, which the spec needs in three places the hook cannot
 * serve: X-RateLimit-Reset as a Unix timestamp (the hook sends seconds until reset), a Redis
 * outage that proceeds without headers and is logged and counted (the hook's `skipOnError`
 * sends made-up headers silently), and the envelope on 429.
 */
async function rateLimit(app: FastifyInstance, options: RateLimitPluginOptions): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: false,
    redis: options.redis,
    nameSpace: options.keyPrefix,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    // Keys are verified user ids, never addresses: a forged X-Forwarded-For changes nothing.
    keyGenerator: (request) => request.rateLimitPolicy!.keyPrefix + request.user.sub,
    max: (request) => request.rateLimitPolicy!.limit,
    skipOnError: false,
  });
  const check = app.createRateLimit();
  app.decorateRequest('rateLimitPolicy', null);

  const storeFailures = new Counter({
    name: 'gateway_rate_limit_store_failures_total',
    help: `Requests whose rate limit could not be counted because Redis failed (policy: ${options.onRedisDown})`,
    registers: [options.metrics],
  });
  const refused = new Counter({
    name: 'gateway_rate_limited_requests_total',
    help: 'Requests refused with 429 by endpoint',
    labelNames: ['endpoint'] as const,
    registers: [options.metrics],
  });
  let lastOutageWarning = 0;

  async function consumeRateLimit(
    request: FastifyRequest,
    reply: FastifyReply,
    policy: RateLimitPolicy,
  ) {
    request.rateLimitPolicy = policy;
    let outcome: Awaited<ReturnType<typeof check>>;
    try {
      outcome = await check(request);
    } catch (error) {
      storeFailures.inc();
      const now = Date.now();
      if (now - lastOutageWarning >= outageWarningIntervalMs) {
        lastOutageWarning = now;
        request.log.warn(
          { err: error, policy: options.onRedisDown },
          'rate limiter cannot reach Redis',
        );
      }
      if (options.onRedisDown === 'closed') throw new HttpError(503, errorText.unavailable);
      return;
    }
    if (outcome.isAllowed) return;
    const ttl = Math.max(0, outcome.ttl);
    reply.header('x-ratelimit-limit', outcome.max);
    reply.header('x-ratelimit-remaining', outcome.remaining);
    reply.header('x-ratelimit-reset', Math.ceil((Date.now() + ttl) / 1000));
    if (outcome.isExceeded) {
      refused.inc({ endpoint: policy.endpoint });
      reply.header('retry-after', Math.max(1, Math.ceil(ttl / 1000)));
      throw new HttpError(429, errorText.tooManyRequests);
    }
  }
  app.decorate('consumeRateLimit', consumeRateLimit);
}

export default fp(rateLimit, { name: 'gateway-rate-limit', fastify: '5.x' });
