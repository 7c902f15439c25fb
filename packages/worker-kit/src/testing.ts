import { createDb } from '@conveyor/db/client';
import { createLogger, type Logger } from '@conveyor/runtime/logger';
import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { createRedis, whenReady } from '@conveyor/runtime/redis';
import type { WorkerConfig, WorkerDeps } from './main.js';

/**
 * The deps `runWorker` would open, built for a test that runs a worker in-process: its own
 * config parsed from `env` by the app's `loadConfig`, a small pool, silent logs unless
 * TEST_LOG_LEVEL says otherwise. `close` releases every connection.
 */
export async function createTestWorkerDeps<Config extends WorkerConfig>(options: {
  name: string;
  loadConfig: (env: Record<string, string | undefined>) => Config;
  env: Record<string, string>;
  logger?: Logger;
  logLevel?: string;
}): Promise<{ deps: WorkerDeps<Config>; close: () => Promise<void> }> {
  const config = options.loadConfig({ LOG_LEVEL: 'silent', ...options.env });
  const logger =
    options.logger ??
    createLogger({ app: options.name, level: options.logLevel ?? 'silent', pretty: false });
  const db = createDb(config.DATABASE_URL, { max: 5, applicationName: `${options.name}-test` });
  const workerRedis = createRedis(config.REDIS_URL, 'worker');
  const redis = createRedis(config.REDIS_URL, 'request');
  for (const connection of [workerRedis, redis]) connection.on('error', () => undefined);
  await whenReady(redis);
  return {
    deps: {
      config,
      logger,
      metrics: createMetricsRegistry(options.name),
      db,
      workerRedis,
      redis,
    },
    close: async () => {
      await Promise.allSettled([db.close(), workerRedis.quit(), redis.quit()]);
    },
  };
}
