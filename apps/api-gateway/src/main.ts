import { redact, redisAnswers } from '@conveyor/runtime/dependencies';
import { createLogger } from '@conveyor/runtime/logger';
import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { onShutdown } from '@conveyor/runtime/shutdown';
import { loadOrExit } from '@conveyor/service-kit/main';
import { buildApp } from './app.js';
import { loadConfig, processEnv } from './config.js';
import { createGatewayRedis } from './redis.js';

const name = 'api-gateway';
const config = loadOrExit(loadConfig, processEnv());

if (!(await redisAnswers(config.REDIS_URL))) {
  console.error(
    `Redis does not answer at ${redact(config.REDIS_URL)}: start it with: redis-server --daemonize yes --port 6379 (or set REDIS_URL)`,
  );
  process.exit(1);
}

const logger = createLogger({ app: name, level: config.LOG_LEVEL });
const metrics = createMetricsRegistry(name);
const redis = createGatewayRedis(config, name);
redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
await redis.connect();

const app = await buildApp({ config, logger, metrics, redis });
onShutdown(
  async () => {
    await app.close();
    await redis.quit().catch(() => undefined);
  },
  { deadlineMs: config.SHUTDOWN_TIMEOUT_MS, logger },
);
await app.listen({ host: config.HOST, port: config.PORT });
