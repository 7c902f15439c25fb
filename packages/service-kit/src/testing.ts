import { createDb } from '@conveyor/db/client';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { createLogger } from '@conveyor/runtime/logger';
import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { createRedis, whenReady } from '@conveyor/runtime/redis';
import { DEVELOPMENT_JWT_SECRET } from './auth-config.js';
import type { ServiceConfig, ServiceDeps } from './main.js';
import { signToken } from './tokens.js';
import type { Role } from './claims.js';

/**
 * Test helpers for services: the real dependencies a `buildApp(deps)` takes, on a database of
 * the test's own (a template clone) and the shared development Redis.
 */
export interface TestDeps<Config extends ServiceConfig> extends ServiceDeps<Config> {
  database: TestDatabase;
  /** Closes the connections and drops the database. */
  cleanup: () => Promise<void>;
}

export async function createTestDeps<Config extends ServiceConfig>(
  loadConfig: (env: Record<string, string | undefined>) => Config,
  env: Record<string, string> = {},
): Promise<TestDeps<Config>> {
  const database = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    ...env,
  });
  const db = createDb(database.url, { max: 4 });
  const redis = createRedis(config.REDIS_URL, 'request');
  redis.on('error', () => undefined);
  await whenReady(redis);
  return {
    config,
    database,
    db,
    redis,
    logger: createLogger({ app: 'test', level: 'silent', pretty: false }),
    metrics: createMetricsRegistry('test'),
    cleanup: async () => {
      await Promise.allSettled([db.close(), redis.quit()]);
      await database.drop();
    },
  };
}

/** A development token for tests, signed with the development secret. */
export function testToken(
  sub: string,
  role: Role,
  extra: { email?: string; name?: string } = {},
): string {
  return signToken({ sub, role, ...extra }, { secret: DEVELOPMENT_JWT_SECRET });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
