import { createLogger } from '@conveyor/runtime/logger';
import { createMetricsRegistry, type Registry } from '@conveyor/runtime/metrics';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import type { Redis } from 'ioredis';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createGatewayRedis } from '../../src/redis.js';

export interface TestGateway {
  app: Awaited<ReturnType<typeof buildApp>>;
  config: Config;
  redis: Redis;
  metrics: Registry;
  close: () => Promise<void>;
}

export interface GatewayOptions {
  env?: Record<string, string>;
  /** Gateways built with the same prefix share budgets. @defaultValue a new prefix */
  rateLimitPrefix?: string;
}

/**
 * A gateway built the way `main.ts` builds it, on the shared Redis (or `env.REDIS_URL`), with
 * its own rate-limit key prefix so test files never share budgets.
 */
export async function buildGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_URL: defaultTestRedisUrl,
    ...options.env,
  });
  const redis = createGatewayRedis(config);
  redis.on('error', () => undefined);
  await redis.connect();
  const metrics = createMetricsRegistry('api-gateway-test');
  const rateLimitPrefix = options.rateLimitPrefix ?? `${testPrefix()}:rate-limit:`;
  const app = await buildApp({
    config,
    logger: createLogger({ app: 'api-gateway-test', level: 'silent', pretty: false }),
    metrics,
    redis,
    rateLimitPrefix,
  });
  await app.ready();
  return {
    app,
    config,
    redis,
    metrics,
    close: async () => {
      await app.close();
      redis.disconnect();
      if (config.REDIS_URL === defaultTestRedisUrl)
        await deleteKeysWithPrefix(defaultTestRedisUrl, rateLimitPrefix);
    },
  };
}
