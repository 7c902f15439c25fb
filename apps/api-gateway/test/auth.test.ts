import { DEFAULT_SESSION_COOKIE } from '@conveyor/service-kit/auth-config';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { badTokens, bearer, tokenFor } from './helpers/tokens.js';
import { startFakeServices } from './helpers/upstream.js';

const allowedOrigin = 'https://app.conveyor.test';
let services: Awaited<ReturnType<typeof startFakeServices>>;
let gateway: TestGateway;

beforeAll(async () => {
  services = await startFakeServices();
  gateway = await buildGateway({ env: { ...services.env, CORS_ORIGINS: allowedOrigin } });
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
});

const unauthorized = { success: false, error: 'Unauthorized' };

describe('authentication', () => {
  test('a request without a token is refused with 401 and never reaches a service', async () => {
    const before = services.notifications.seen.length;
    const response = await gateway.app.inject({ method: 'GET', url: '/api/notifications' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(unauthorized);
    expect(services.notifications.seen.length).toBe(before);
  });

  test.each(Object.entries(badTokens()))(
    'a token %s is refused with 401, never a 5xx',
    async (_what, token) => {
      const before = services.notifications.seen.length;
      const response = await gateway.app.inject({
        method: 'GET',
        url: '/api/notifications',
        headers: bearer(token),
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(unauthorized);
      expect(services.notifications.seen.length).toBe(before);
    },
  );

  test.each(Object.entries(badTokens()))(
    'a session cookie %s is refused with 401 as well',
    async (_what, token) => {
      const response = await gateway.app.inject({
        method: 'GET',
        url: '/api/webhooks',
        headers: { cookie: `${DEFAULT_SESSION_COOKIE}=${token}` },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(unauthorized);
    },
  );

  test('an Authorization header that is not a bearer token is refused with 401', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/jobs',
      headers: { authorization: `Basic ${Buffer.from('user:password').toString('base64')}` },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(unauthorized);
  });

  test('a valid bearer token reaches the service', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/jobs',
      headers: bearer(tokenFor('CREATOR')),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ service: 'webhooks', url: '/api/jobs' });
  });

  test('a valid session cookie reaches the service and travels on to it', async () => {
    const cookie = `${DEFAULT_SESSION_COOKIE}=${tokenFor('BRAND')}`;
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/notifications',
      headers: { cookie },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().headers.cookie).toBe(cookie);
  });

  test.each([
    '/healthz',
    '/readyz',
    '/metrics',
    '/api/openapi.json',
    '/api/openapi/notifications.json',
    '/api/docs/',
  ])('the public path %s answers without a token', async (url) => {
    const response = await gateway.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
  });

  test('an unknown path under /api asks for a token before it says 404', async () => {
    const anonymous = await gateway.app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(anonymous.statusCode).toBe(401);
    const known = await gateway.app.inject({
      method: 'GET',
      url: '/api/nothing-here',
      headers: bearer(tokenFor()),
    });
    expect(known.statusCode).toBe(404);
    expect(known.json()).toEqual({ success: false, error: 'Route not found' });
  });
});

describe('authorization', () => {
  test.each(['CREATOR', 'BRAND', 'VIEWER'] as const)(
    'a %s on /api/admin/jobs gets 403 and the admin service receives nothing',
    async (role) => {
      const before = services.adminJobs.seen.length;
      for (const [method, url] of [
        ['GET', '/api/admin/jobs/health'],
        ['POST', '/api/admin/jobs/notifications/job-1/retry'],
        ['GET', '/api/admin/jobs'],
      ] as const) {
        const response = await gateway.app.inject({ method, url, headers: bearer(tokenFor(role)) });
        expect(response.statusCode).toBe(403);
        expect(response.json()).toEqual({
          success: false,
          error: 'Forbidden: Admin access required',
        });
      }
      expect(services.adminJobs.seen.length).toBe(before);
    },
  );

  test('a non-admin gets 403 on an unknown admin path too', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/admin/other',
      headers: bearer(tokenFor('VIEWER')),
    });
    expect(response.statusCode).toBe(403);
  });

  test.each([
    '/api/notifications/../admin/jobs/health',
    '/api/notifications/%2e%2e/%2e%2e/admin/jobs/health',
    '/api/%61dmin/jobs/health',
    '/api/notifications/..%2f..%2fadmin/jobs/health',
  ])('a non-admin cannot reach the admin service through %s', async (url) => {
    const before = services.adminJobs.seen.length;
    const response = await gateway.app.inject({
      method: 'GET',
      url,
      headers: bearer(tokenFor('VIEWER')),
    });
    expect([400, 403, 404]).toContain(response.statusCode);
    expect(response.json()).toMatchObject({ success: false });
    expect(services.adminJobs.seen.length).toBe(before);
  });

  test('an ADMIN reaches the admin service', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/admin/jobs/health',
      headers: bearer(tokenFor('ADMIN')),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ service: 'admin-jobs', url: '/api/admin/jobs/health' });
  });

  test.each(['ADMIN', 'CREATOR', 'BRAND', 'VIEWER'] as const)(
    'a %s reaches every non-admin service',
    async (role) => {
      for (const url of ['/api/notifications', '/api/jobs', '/api/webhooks']) {
        const response = await gateway.app.inject({
          method: 'GET',
          url,
          headers: bearer(tokenFor(role)),
        });
        expect(response.statusCode).toBe(200);
      }
    },
  );
});

describe('CSRF defence for cookie sessions', () => {
  const cookie = () => `${DEFAULT_SESSION_COOKIE}=${tokenFor('VIEWER')}`;

  test('a cookie-authenticated POST from a cross-site origin is refused with 403 before any service sees it', async () => {
    const before = services.notifications.seen.length;
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/api/notifications/read-all',
      headers: { cookie: cookie(), origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      success: false,
      error: 'Forbidden: cross-site request refused',
    });
    expect(services.notifications.seen.length).toBe(before);
  });

  test('the same cross-site POST with a bearer token is proxied', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/api/notifications/read-all',
      headers: {
        ...bearer(tokenFor('VIEWER')),
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ method: 'POST', url: '/api/notifications/read-all' });
  });

  test('a cookie-authenticated PATCH from an allowed origin is proxied', async () => {
    const response = await gateway.app.inject({
      method: 'PATCH',
      url: '/api/notifications/preferences',
      headers: { cookie: cookie(), origin: allowedOrigin, 'sec-fetch-site': 'same-site' },
      payload: { digestFrequency: 'DAILY' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().body).toEqual({ digestFrequency: 'DAILY' });
  });
});
