import { redisOptions } from '@conveyor/runtime/redis';
import { Redis } from 'ioredis';
import type { Config } from './config.js';

/**
 * The gateway's Redis connection (rate limiter and readiness), not yet connected: a fail-fast
 * request connection whose commands give up after RATE_LIMIT_REDIS_TIMEOUT_MS, so an outage
 * answers within a second instead of waiting out the shared one-second default. Without an
 * offline queue a command before `ready` fails, so the caller awaits `connect()` before serving.
 */
export function createGatewayRedis(config: Config, name?: string): Redis {
  return new Redis(config.REDIS_URL, {
    ...redisOptions('request'),
    commandTimeout: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    // Commands issued in the same tick share one socket write: under load the limiter's EVALSHA
    // per request costs one syscall per batch, not per request. Each request still makes exactly
    // one round trip.
    enableAutoPipelining: true,
    lazyConnect: true,
    ...(name ? { connectionName: name } : {}),
  });
}
