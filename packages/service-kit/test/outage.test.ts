import { createDb } from '@conveyor/db/client';
import { createTestDatabase } from '@conveyor/db/testing';
import { createLogger } from '@conveyor/runtime/logger';
import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { createRedis, whenReady } from '@conveyor/runtime/redis';
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivateServer,
} from '@conveyor/test-harness/servers';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, testToken } from '../src/testing.js';
import { buildFixtureApp, loadFixtureConfig } from './fixture.js';

// Outages on servers of the test's own: the shared Redis and PostgreSQL are never stopped.
let postgresServer: PrivateServer;
let redisServer: PrivateServer;
let app: Awaited<ReturnType<typeof buildFixtureApp>>;
let closeStores: () => Promise<void>;

beforeAll(async () => {
  [postgresServer, redisServer] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  const database = await createTestDatabase(postgresServer.url);
  const config = loadFixtureConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    REDIS_URL: redisServer.url,
  });
  const db = createDb(database.url, { max: 2, connectTimeoutSeconds: 1 });
  const redis = createRedis(redisServer.url, 'request');
  redis.on('error', () => undefined);
  await whenReady(redis);
  app = await buildFixtureApp({
    config,
    db,
    redis,
    logger: createLogger({ app: 'test', level: 'silent', pretty: false }),
    metrics: createMetricsRegistry('test'),
  });
  closeStores = async () => {
    await Promise.allSettled([db.close(), redis.quit()]);
  };
}, 90_000);
afterAll(async () => {
  await app.close();
  await closeStores();
  await Promise.all([postgresServer.destroy(), redisServer.destroy()]);
});

const me = (sub: string) =>
  app.inject({ url: '/api/me', headers: bearer(testToken(sub, 'VIEWER')) });

describe('a service whose PostgreSQL goes away', () => {
  it('answers 503 within two seconds, reports not ready, and recovers by itself when it returns', async () => {
    expect((await me('before-outage')).statusCode).toBe(200);
    await postgresServer.stop();

    const started = Date.now();
    const during = await me('during-outage');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(during.statusCode).toBe(503);
    expect(during.json()).toEqual({ success: false, error: 'Service temporarily unavailable' });
    const notReady = await app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().details.checks.postgres).toBe('down');

    await postgresServer.start();
    await waitUntil(async () => (await me('after-outage')).statusCode === 200, {
      timeoutMs: 15_000,
      what: 'recovery',
    });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('a service whose Redis goes away', () => {
  it('reports not ready within a second and ready again when Redis returns', async () => {
    await redisServer.stop();
    const started = Date.now();
    const notReady = await app.inject({ url: '/readyz' });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().details.checks).toEqual({ postgres: 'up', redis: 'down' });

    await redisServer.start();
    await waitUntil(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, {
      timeoutMs: 10_000,
      what: 'Redis readiness',
    });
  });
});
