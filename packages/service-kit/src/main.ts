import { createDb, type DbHandle } from '@conveyor/db/client';
import { loadOrExit, type BaseConfig, type HttpConfig } from '@conveyor/runtime/config';
import { exitUnlessDependenciesAnswer } from '@conveyor/runtime/dependencies';
import { createLogger, type Logger } from '@conveyor/runtime/logger';
import { createMetricsRegistry, type Registry } from '@conveyor/runtime/metrics';
import { createRedis, whenReady } from '@conveyor/runtime/redis';
import { onShutdown } from '@conveyor/runtime/shutdown';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

export type ServiceConfig = BaseConfig & HttpConfig & { PORT: number };

/** What `main.ts` opens for a service and hands to its `buildApp`. */
export interface ServiceDeps<Config extends ServiceConfig> {
  config: Config;
  logger: Logger;
  metrics: Registry;
  db: DbHandle;
  /** A fail-fast connection for request paths and producers. */
  redis: Redis;
}

export { loadOrExit } from '@conveyor/runtime/config';

/**
 * The whole life of a service process: config, dependency check, connections, app, listen,
 * graceful close on SIGTERM/SIGINT within the configured deadline.
 */
export async function runService<Config extends ServiceConfig>(options: {
  name: string;
  env: NodeJS.ProcessEnv;
  loadConfig: (env: NodeJS.ProcessEnv) => Config;
  buildApp: (deps: ServiceDeps<Config>) => FastifyInstance | Promise<FastifyInstance>;
}): Promise<void> {
  const config = loadOrExit(options.loadConfig, options.env);
  await exitUnlessDependenciesAnswer({
    redisUrl: config.REDIS_URL,
    databaseUrl: config.DATABASE_URL,
  });
  const logger = createLogger({ app: options.name, level: config.LOG_LEVEL });
  const metrics = createMetricsRegistry(options.name);
  const db = createDb(config.DATABASE_URL, { applicationName: options.name });
  const redis = createRedis(config.REDIS_URL, 'request', options.name);
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await whenReady(redis);
  const app = await options.buildApp({ config, logger, metrics, db, redis });
  onShutdown(
    async () => {
      await app.close();
      await Promise.allSettled([db.close(), redis.quit()]);
    },
    { deadlineMs: config.SHUTDOWN_TIMEOUT_MS, logger },
  );
  await app.listen({ host: config.HOST, port: config.PORT });
}
