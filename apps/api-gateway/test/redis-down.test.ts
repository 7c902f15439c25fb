import { waitUntil } from '@conveyor/test-harness/ports';
import { startPrivateRedis, type PrivateServer } from '@conveyor/test-harness/servers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { startFreezableProxy } from './helpers/tcp-proxy.js';
import { bearer, tokenFor } from './helpers/tokens.js';
import { startFakeServices } from './helpers/upstream.js';

// A Redis of this file's own: stopping it never touches the shared one on 6379.
let redis: PrivateServer;
let services: Awaited<ReturnType<typeof startFakeServices>>;
let failOpen: TestGateway;
let failClosed: TestGateway;

beforeAll(async () => {
  [redis, services] = await Promise.all([startPrivateRedis(), startFakeServices()]);
  [failOpen, failClosed] = await Promise.all([
    buildGateway({ env: { ...services.env, REDIS_URL: redis.url } }),
    buildGateway({
      env: { ...services.env, REDIS_URL: redis.url, RATE_LIMIT_ON_REDIS_DOWN: 'closed' },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([failOpen?.close(), failClosed?.close()]);
  await services?.close();
  await redis?.destroy();
});

async function timed(gateway: TestGateway, url = '/api/notifications') {
  const started = performance.now();
  const response = await gateway.app.inject({ method: 'GET', url, headers: bearer(tokenFor()) });
  return { response, elapsedMs: performance.now() - started };
}

describe('when Redis stops', () => {
  test('both policies count normally while Redis is up', async () => {
    for (const gateway of [failOpen, failClosed]) {
      const { response } = await timed(gateway);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-limit']).toBe('100');
    }
  });

  test('fail open (the default): the request proceeds within a second, without rate-limit headers, and is counted', async () => {
    await redis.stop();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { response, elapsedMs } = await timed(failOpen);
      expect(elapsedMs).toBeLessThan(1_000);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ service: 'notifications' });
      expect(response.headers['x-ratelimit-limit']).toBeUndefined();
      expect(response.headers['x-ratelimit-remaining']).toBeUndefined();
    }
    expect(await failOpen.metrics.metrics()).toMatch(
      /gateway_rate_limit_store_failures_total\{.*\} 3/,
    );
  });

  test('fail closed: the request answers 503 in the envelope within a second, and no service sees it', async () => {
    const before = services.notifications.seen.length;
    const { response, elapsedMs } = await timed(failClosed);
    expect(elapsedMs).toBeLessThan(1_000);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ success: false, error: 'Service temporarily unavailable' });
    expect(services.notifications.seen.length).toBe(before);
  });

  test('authentication still answers 401 rather than 5xx while Redis is down', async () => {
    const response = await failClosed.app.inject({ method: 'GET', url: '/api/notifications' });
    expect(response.statusCode).toBe(401);
  });

  test('/readyz reports not ready within a second', async () => {
    const started = performance.now();
    const response = await failOpen.app.inject({ method: 'GET', url: '/readyz' });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      success: false,
      details: { checks: { redis: 'down' } },
    });
  });

  test('the limiter counts again once Redis is back', async () => {
    await redis.start();
    await waitUntil(async () => (await timed(failClosed)).response.statusCode === 200, {
      timeoutMs: 10_000,
      what: 'the limiter to reconnect',
    });
    const { response } = await timed(failOpen);
    expect(response.headers['x-ratelimit-limit']).toBe('100');
  });
});

describe('when Redis hangs', () => {
  test('a request proceeds after RATE_LIMIT_REDIS_TIMEOUT_MS, well within a second, instead of hanging', async () => {
    const proxy = await startFreezableProxy(redis.port);
    const gateway = await buildGateway({ env: { ...services.env, REDIS_URL: proxy.url } });
    try {
      expect((await timed(gateway)).response.headers['x-ratelimit-limit']).toBe('100');
      proxy.freeze();
      const { response, elapsedMs } = await timed(gateway);
      expect(elapsedMs).toBeGreaterThanOrEqual(gateway.config.RATE_LIMIT_REDIS_TIMEOUT_MS - 50);
      expect(elapsedMs).toBeLessThan(1_000);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-limit']).toBeUndefined();
    } finally {
      await gateway.close();
      await proxy.close();
    }
  });
});
