import { testPrefix } from '@conveyor/test-harness/redis';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { bearer, tokenFor } from './helpers/tokens.js';
import { startFakeServices } from './helpers/upstream.js';

let services: Awaited<ReturnType<typeof startFakeServices>>;
let gateway: TestGateway;

beforeAll(async () => {
  services = await startFakeServices();
  gateway = await buildGateway({ env: services.env });
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
});

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function call(
  target: TestGateway,
  method: Method,
  url: string,
  token: string,
  headers: Record<string, string> = {},
) {
  return target.app.inject({ method, url, headers: { ...bearer(token), ...headers } });
}

/** Spends `count` requests one after the other, each answered by the service. */
async function spend(count: number, send: (index: number) => Promise<LightMyRequestResponse>) {
  const responses: LightMyRequestResponse[] = [];
  for (let index = 0; index < count; index += 1) responses.push(await send(index));
  return responses;
}

function expectAllowed(response: LightMyRequestResponse, limit: number, remaining: number) {
  expect(response.statusCode).toBe(200);
  expect(response.headers['x-ratelimit-limit']).toBe(String(limit));
  expect(response.headers['x-ratelimit-remaining']).toBe(String(remaining));
}

function expectRefused(response: LightMyRequestResponse, limit: number) {
  const now = Math.floor(Date.now() / 1000);
  expect(response.statusCode).toBe(429);
  expect(response.json()).toEqual({
    success: false,
    error: 'Too many requests. Please try again later.',
  });
  expect(response.headers['x-ratelimit-limit']).toBe(String(limit));
  expect(response.headers['x-ratelimit-remaining']).toBe('0');
  const reset = Number(response.headers['x-ratelimit-reset']);
  // A Unix timestamp in seconds within the one-minute window, not seconds-until-reset.
  expect(reset).toBeGreaterThanOrEqual(now);
  expect(reset).toBeLessThanOrEqual(now + 61);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(Math.abs(now + retryAfter - reset)).toBeLessThanOrEqual(1);
}

const specTable: {
  method: Method;
  path: (index: number) => string;
  limit: number;
  role?: 'ADMIN';
}[] = [
  { method: 'GET', path: () => '/api/notifications', limit: 100 },
  { method: 'GET', path: () => '/api/notifications/unread-count', limit: 200 },
  { method: 'POST', path: (index) => `/api/notifications/notification-${index}/read`, limit: 100 },
  { method: 'POST', path: () => '/api/notifications/read-all', limit: 10 },
  { method: 'GET', path: () => '/api/notifications/preferences', limit: 50 },
  { method: 'PATCH', path: () => '/api/notifications/preferences', limit: 10 },
  {
    method: 'GET',
    path: (index) =>
      [
        '/api/admin/jobs/health',
        '/api/admin/jobs/search-index/stats',
        `/api/admin/jobs/aggregation/logs?page=${index}`,
      ][index % 3]!,
    limit: 100,
    role: 'ADMIN',
  },
];

describe('the spec 000 rate-limit table', () => {
  test.each(specTable.map((row) => [`${row.method} ${row.path(0)}`, row] as const))(
    '%s lets its limit through and refuses the next request with 429 and every header',
    async (_endpoint, row) => {
      const token = tokenFor(row.role ?? 'VIEWER');
      const allowed = await spend(row.limit, (index) =>
        call(gateway, row.method, row.path(index), token),
      );
      allowed.forEach((response, index) =>
        expectAllowed(response, row.limit, row.limit - index - 1),
      );
      const seen = services.notifications.seen.length + services.adminJobs.seen.length;
      expectRefused(await call(gateway, row.method, row.path(row.limit), token), row.limit);
      // The refused request never reached a service.
      expect(services.notifications.seen.length + services.adminJobs.seen.length).toBe(seen);
    },
  );
});

describe('budgets', () => {
  test('every proxied response carries X-RateLimit headers with the reset as a Unix timestamp', async () => {
    const before = Date.now() / 1000;
    const response = await call(gateway, 'GET', '/api/jobs', tokenFor());
    const after = Date.now() / 1000;
    expectAllowed(response, 300, 299);
    // The first request opens a one-minute window: it ends 60 s after the request, rounded up.
    const reset = Number(response.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(Math.ceil(before + 60));
    expect(reset).toBeLessThanOrEqual(Math.ceil(after + 60));
    expect(response.headers['retry-after']).toBeUndefined();
  });

  test('two users do not share a budget', async () => {
    const first = tokenFor();
    const second = tokenFor();
    await spend(10, () => call(gateway, 'POST', '/api/notifications/read-all', first));
    expectRefused(await call(gateway, 'POST', '/api/notifications/read-all', first), 10);
    expectAllowed(await call(gateway, 'POST', '/api/notifications/read-all', second), 10, 9);
  });

  test('one user has a budget per endpoint', async () => {
    const token = tokenFor();
    await spend(10, () => call(gateway, 'POST', '/api/notifications/read-all', token));
    expectRefused(await call(gateway, 'POST', '/api/notifications/read-all', token), 10);
    expectAllowed(await call(gateway, 'PATCH', '/api/notifications/preferences', token), 10, 9);
    expectAllowed(await call(gateway, 'GET', '/api/notifications/preferences', token), 50, 49);
  });

  test('two gateway instances share one budget through Redis', async () => {
    const prefix = `${testPrefix()}:rate-limit:`;
    const [first, second] = await Promise.all([
      buildGateway({ env: services.env, rateLimitPrefix: prefix }),
      buildGateway({ env: services.env, rateLimitPrefix: prefix }),
    ]);
    try {
      const token = tokenFor();
      await spend(6, () => call(first, 'POST', '/api/notifications/read-all', token));
      const fromSecond = await spend(4, () =>
        call(second, 'POST', '/api/notifications/read-all', token),
      );
      expectAllowed(fromSecond.at(-1)!, 10, 0);
      expectRefused(await call(first, 'POST', '/api/notifications/read-all', token), 10);
      expectRefused(await call(second, 'POST', '/api/notifications/read-all', token), 10);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  test('a forged X-Forwarded-For changes nothing: the budget belongs to the verified user', async () => {
    const token = tokenFor();
    const responses = await spend(10, (index) =>
      call(gateway, 'POST', '/api/notifications/read-all', token, {
        'x-forwarded-for': `203.0.113.${index}`,
      }),
    );
    responses.forEach((response, index) => expectAllowed(response, 10, 9 - index));
    expectRefused(
      await call(gateway, 'POST', '/api/notifications/read-all', token, {
        'x-forwarded-for': '198.51.100.7, 10.0.0.1',
      }),
      10,
    );
  });

  test('ids in the path share the endpoint budget', async () => {
    const token = tokenFor();
    const reads = await spend(5, (index) =>
      call(gateway, 'POST', `/api/notifications/id-${index}/read`, token),
    );
    reads.forEach((response, index) => expectAllowed(response, 100, 99 - index));
    const deletes = await spend(3, (index) =>
      call(gateway, 'DELETE', `/api/notifications/id-${index}`, token),
    );
    deletes.forEach((response, index) => expectAllowed(response, 60, 59 - index));
    const jobs = await spend(3, (index) => call(gateway, 'GET', `/api/jobs/job-${index}`, token));
    jobs.forEach((response, index) => expectAllowed(response, 300, 299 - index));
  });

  test('each webhook action has a budget of its own, which ids never split', async () => {
    const token = tokenFor();
    expectAllowed(await call(gateway, 'POST', '/api/webhooks/1/test', token), 60, 59);
    expectAllowed(await call(gateway, 'POST', '/api/webhooks/2/test', token), 60, 58);
    expectAllowed(await call(gateway, 'POST', '/api/webhooks/1/rotate-secret', token), 60, 59);
    expectAllowed(
      await call(gateway, 'POST', '/api/webhooks/1/deliveries/7/resend', token),
      60,
      59,
    );
    expectAllowed(await call(gateway, 'GET', '/api/webhooks/1/deliveries', token), 300, 299);
    expectAllowed(await call(gateway, 'GET', '/api/webhooks/2/deliveries?page=2', token), 300, 298);
    expectAllowed(await call(gateway, 'PUT', '/api/webhooks/1', token), 60, 59);
    expectAllowed(await call(gateway, 'GET', '/api/webhooks/1', token), 300, 299);
  });

  test.each(['retry', 'cancel'] as const)(
    'bulk %s has a budget of its own, 10 a minute, then 429; the other bulk action and the single-job actions are untouched',
    async (action) => {
      const token = tokenFor('ADMIN');
      const other = action === 'retry' ? 'cancel' : 'retry';
      const allowed = await spend(10, () =>
        call(gateway, 'POST', `/api/admin/jobs/bulk/${action}`, token),
      );
      allowed.forEach((response, index) => expectAllowed(response, 10, 9 - index));
      const seen = services.adminJobs.seen.length;
      expectRefused(await call(gateway, 'POST', `/api/admin/jobs/bulk/${action}`, token), 10);
      expect(services.adminJobs.seen.length).toBe(seen);
      expectAllowed(await call(gateway, 'POST', `/api/admin/jobs/bulk/${other}`, token), 10, 9);
      expectAllowed(
        await call(gateway, 'POST', '/api/admin/jobs/queues/notifications/pause', token),
        60,
        59,
      );
      expectAllowed(await call(gateway, 'GET', '/api/admin/jobs/health', token), 100, 99);
    },
  );

  test('batch reads and the admin stream handshake share the one admin read budget', async () => {
    const token = tokenFor('ADMIN');
    expectAllowed(await call(gateway, 'GET', '/api/admin/jobs/batches', token), 100, 99);
    expectAllowed(await call(gateway, 'GET', '/api/admin/jobs/batches/batch-1', token), 100, 98);
    expectAllowed(await call(gateway, 'GET', '/api/admin/jobs/stream', token), 100, 97);
    expectAllowed(await call(gateway, 'GET', '/api/admin/jobs/health', token), 100, 96);
  });

  test('unlisted endpoints get the documented defaults: 300 a minute for reads, 60 for writes', async () => {
    const token = tokenFor();
    expectAllowed(await call(gateway, 'GET', '/api/webhooks', token), 300, 299);
    expectAllowed(await call(gateway, 'POST', '/api/webhooks', token), 60, 59);
    expectAllowed(await call(gateway, 'POST', '/api/jobs', token), 60, 59);
    expectAllowed(await call(gateway, 'DELETE', '/api/webhooks/hook-1', token), 60, 59);
    expectAllowed(
      await call(gateway, 'POST', '/api/admin/jobs/notifications/job-1/retry', tokenFor('ADMIN')),
      60,
      59,
    );
  });

  test('RATE_LIMIT_SCALE multiplies every limit', async () => {
    const scaled = await buildGateway({ env: { ...services.env, RATE_LIMIT_SCALE: '2.5' } });
    try {
      const token = tokenFor();
      expectAllowed(await call(scaled, 'GET', '/api/notifications', token), 250, 249);
      expectAllowed(await call(scaled, 'POST', '/api/notifications/read-all', token), 25, 24);
      expectAllowed(await call(scaled, 'GET', '/api/jobs', token), 750, 749);
    } finally {
      await scaled.close();
    }
  });

  test('a refused request is counted in the metrics by endpoint', async () => {
    const text = await gateway.metrics.metrics();
    expect(text).toMatch(
      /gateway_rate_limited_requests_total\{endpoint="POST \/api\/notifications\/read-all".*\} \d+/,
    );
  });
});
