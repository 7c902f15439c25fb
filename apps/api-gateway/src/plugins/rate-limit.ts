import { Counter, type Registry } from '@conveyor/runtime/metrics';
import { errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { RATE_LIMIT_WINDOW_MS, type RateLimitPolicy } from '../rate-limits.js';

declare module 'fastify' {
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
 * One fixed window per key: the first request of a window starts its expiry, every request
 * counts, and the answer is the count and the milliseconds left. The same counting (and key
 * layout) as the Redis store of @fastify/rate-limit, which the gateway used before; a key that
 * somehow lost its expiry gets a fresh window rather than counting forever.
 */
const spendScript = `
local current = redis.call('INCR', KEYS[1])
local ttl
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
else
  ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
end
return {current, ttl}
`;

interface SpendingRedis extends Redis {
  /** Defined below with `defineCommand`: EVALSHA, falling back to EVAL once per connection. */
  conveyorSpendRateLimit(key: string, windowMs: number): Promise<[number, number]>;
}

/**
 * Per-user, per-endpoint budgets counted in Redis, so every gateway instance spends the same
 * budget: one EVALSHA per request.
 *
 * Why not @fastify/rate-limit, which the gateway used first (through `createRateLimit()`): the
 * spec needs the outcome in our hands anyway (X-RateLimit-Reset as a Unix timestamp, a Redis
 * outage that proceeds without headers and is logged and counted, the envelope on 429), so the
 * plugin contributed only its script call, wrapped per request in an argument array, an async
 * function with three awaits, a key-generator and a max callback and a promise around the store
 * callback. Calling the script directly saved about 10 µs of the gateway's CPU per request
 * (measured as in `pnpm bench gateway`, against a fast upstream so the gateway runs hot); the
 * rest of the step, about 55 µs, is the Redis round trip itself (ioredis and the socket).
 */
async function rateLimit(app: FastifyInstance, options: RateLimitPluginOptions): Promise<void> {
  const redis = options.redis as SpendingRedis;
  if (typeof redis.conveyorSpendRateLimit !== 'function') {
    redis.defineCommand('conveyorSpendRateLimit', { numberOfKeys: 1, lua: spendScript });
  }

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
    // Keys are verified user ids, never addresses: a forged X-Forwarded-For changes nothing.
    const key = options.keyPrefix + policy.keyPrefix + request.user.sub;
    let current: number;
    let ttl: number;
    try {
      [current, ttl] = await redis.conveyorSpendRateLimit(key, RATE_LIMIT_WINDOW_MS);
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
    const limit = policy.limit;
    reply.header('x-ratelimit-limit', limit);
    reply.header('x-ratelimit-remaining', current >= limit ? 0 : limit - current);
    reply.header('x-ratelimit-reset', Math.ceil((Date.now() + ttl) / 1000));
    if (current > limit) {
      refused.inc({ endpoint: policy.endpoint });
      reply.header('retry-after', Math.max(1, Math.ceil(ttl / 1000)));
      throw new HttpError(429, errorText.tooManyRequests);
    }
  }
  app.decorate('consumeRateLimit', consumeRateLimit);
}

export default fp(rateLimit, { name: 'gateway-rate-limit', fastify: '5.x' });
