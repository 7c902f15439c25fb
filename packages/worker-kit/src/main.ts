import { createDb, type DbHandle } from '@conveyor/db/client';
import { loadOrExit, type BaseConfig } from '@conveyor/runtime/config';
import { exitUnlessDependenciesAnswer } from '@conveyor/runtime/dependencies';
import { createLogger, type Logger } from '@conveyor/runtime/logger';
import { createMetricsRegistry, type Registry } from '@conveyor/runtime/metrics';
import { createRedis, whenReady } from '@conveyor/runtime/redis';
import { onShutdown } from '@conveyor/runtime/shutdown';
import type { Redis } from 'ioredis';
import { createHealthServer } from './health-server.js';
import { presenceConfigOf } from './presence-config.js';
import { withPresenceScope } from './presence-scope.js';

export type WorkerConfig = BaseConfig & { PORT: number; HOST: string };

/** What a worker app's `main.ts` opens and hands to its `buildWorker`. */
export interface WorkerDeps<Config extends WorkerConfig> {
  config: Config;
  logger: Logger;
  metrics: Registry;
  db: DbHandle;
  /** Blocking connection for BullMQ Workers (`maxRetriesPerRequest: null`). */
  workerRedis: Redis;
  /** Fail-fast connection for producers and plain commands. */
  redis: Redis;
}

/** What a worker app builds: something that stops taking work and finishes what it holds. */
export interface RunningWorker {
  close: () => Promise<void>;
}

/**
 * The whole life of a worker process: config, dependency check, connections, the worker, the
 * health server, and on SIGTERM/SIGINT: stop taking jobs, finish (or release) the ones in hand
 * within the deadline, then close the connections.
 */
export async function runWorker<Config extends WorkerConfig>(options: {
  name: string;
  env: NodeJS.ProcessEnv;
  loadConfig: (env: NodeJS.ProcessEnv) => Config;
  buildWorker: (deps: WorkerDeps<Config>) => RunningWorker | Promise<RunningWorker>;
}): Promise<void> {
  const config = loadOrExit(options.loadConfig, options.env);
  const presenceConfig = loadOrExit(presenceConfigOf, options.env);
  await exitUnlessDependenciesAnswer({
    redisUrl: config.REDIS_URL,
    databaseUrl: config.DATABASE_URL,
  });
  const logger = createLogger({ app: options.name, level: config.LOG_LEVEL });
  const metrics = createMetricsRegistry(options.name);
  const db = createDb(config.DATABASE_URL, { applicationName: options.name });
  const workerRedis = createRedis(config.REDIS_URL, 'worker', `${options.name}:worker`);
  const redis = createRedis(config.REDIS_URL, 'request', options.name);
  for (const connection of [workerRedis, redis]) {
    connection.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  }
  await whenReady(redis);
  // The workers the app builds announce themselves on the command connection (see ./presence),
  // without the app passing anything along (see ./presence-scope).
  const presence = {
    redis,
    prefix: config.BULL_PREFIX,
    app: options.name,
    version: presenceConfig.version,
    heartbeatMs: presenceConfig.WORKER_HEARTBEAT_MS,
    logger,
  };
  const running = await withPresenceScope(presence, () =>
    options.buildWorker({ config, logger, metrics, db, workerRedis, redis }),
  );
  const health = createHealthServer({
    checks: { postgres: () => db.sql`select 1`, redis: () => redis.ping() },
    metrics,
  });
  onShutdown(
    async () => {
      await running.close();
      await health.close();
      await Promise.allSettled([db.close(), workerRedis.quit(), redis.quit()]);
    },
    { deadlineMs: config.SHUTDOWN_TIMEOUT_MS, logger },
  );
  const port = await health.listen(config.PORT, config.HOST);
  logger.info({ port }, 'worker started');
}
