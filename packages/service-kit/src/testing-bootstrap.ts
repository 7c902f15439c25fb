import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig, ServiceDeps } from './main.js';
import { bearer, createTestDeps, testToken, type TestDeps } from './testing.js';

/**
 * The bootstrap every backend service shares, tested the same way in each: alive and ready
 * on real stores, its own OpenAPI document, the envelope for unknown routes, a config schema
 * that names bad variables and refuses the development secret in production.
 */
export function describeServiceBootstrap<Config extends ServiceConfig>(service: {
  name: string;
  title: string;
  loadConfig: (env: Record<string, string | undefined>) => Config;
  buildApp: (deps: ServiceDeps<Config>) => Promise<FastifyInstance>;
}): void {
  let deps: TestDeps<Config>;
  let app: FastifyInstance;

  beforeAll(async () => {
    deps = await createTestDeps(service.loadConfig);
    app = await service.buildApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await deps.cleanup();
  });

  describe(`the ${service.name} process`, () => {
    it('is alive and ready while Redis and PostgreSQL answer', async () => {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
    });

    it('serves its own OpenAPI document', async () => {
      const document = (await app.inject({ url: '/openapi.json' })).json<{
        info: { title: string };
        components: { securitySchemes: { bearerAuth: { scheme: string } } };
      }>();
      expect(document.info.title).toBe(service.title);
      expect(document.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
    });

    it('answers an unknown route with 404 in the envelope', async () => {
      const response = await app.inject({
        url: '/api/unknown',
        headers: bearer(testToken('u1', 'VIEWER')),
      });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ success: false, error: 'Route not found' });
    });
  });

  describe(`the ${service.name} config`, () => {
    it('rejects bad values and names each variable', () => {
      const attempt = () =>
        service.loadConfig({ PORT: 'eighty', REDIS_URL: 'http://wrong', DATABASE_URL: 'nope' });
      for (const variable of ['PORT', 'REDIS_URL', 'DATABASE_URL']) {
        expect(attempt).toThrow(new RegExp(`- ${variable}: `));
      }
    });

    it('refuses the development JWT secret in production', () => {
      expect(() => service.loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
      const real = {
        NODE_ENV: 'production',
        JWT_SECRET: 'a-real-secret-of-the-identity-provider!',
      };
      expect(service.loadConfig(real).NODE_ENV).toBe('production');
    });
  });
}
