import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';

let deps: TestDeps<Config>;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  deps = await createTestDeps(loadConfig);
  app = await buildApp(deps);
});
afterAll(async () => {
  await app.close();
  await deps.cleanup();
});

describe('the notifications-svc process', () => {
  it('is alive and ready while Redis and PostgreSQL answer', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
  });

  it('serves its own OpenAPI document', async () => {
    const document = (await app.inject({ url: '/openapi.json' })).json();
    expect(document.info.title).toBe('Conveyor notifications');
    expect(document.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
  });

  it('answers an unknown route with 404 in the envelope, with or without a token', async () => {
    const response = await app.inject({
      url: '/api/unknown',
      headers: bearer(testToken('u1', 'VIEWER')),
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ success: false, error: 'Route not found' });
  });
});

describe('the notifications-svc config', () => {
  it('rejects bad values and names each variable', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://wrong', DATABASE_URL: 'nope' });
    for (const variable of ['PORT', 'REDIS_URL', 'DATABASE_URL']) {
      expect(attempt).toThrow(new RegExp(`- ${variable}: `));
    }
  });

  it('refuses the development JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-the-identity-provider!' })
        .NODE_ENV,
    ).toBe('production');
  });
});
