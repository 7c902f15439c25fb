import {
  baseConfigShape,
  httpConfigShape,
  listVar,
  parseConfig,
  portVar,
} from '@conveyor/runtime/config';
import { z } from 'zod';
import { authConfigShape } from '../src/auth-config.js';
import { errorText, HttpError } from '../src/errors.js';
import type { ServiceDeps } from '../src/main.js';
import { createBackendService } from '../src/service-base.js';

/** A backend service with a few routes that exercise the shared bootstrap. */
export const FixtureConfigSchema = z.object({
  ...baseConfigShape,
  ...httpConfigShape,
  ...authConfigShape,
  PORT: portVar(0),
  CORS_ORIGINS: listVar('https://app.example.com'),
});
export type FixtureConfig = z.output<typeof FixtureConfigSchema>;
export const loadFixtureConfig = (env: Record<string, string | undefined>) =>
  parseConfig(FixtureConfigSchema, env);

export async function buildFixtureApp(deps: ServiceDeps<FixtureConfig>) {
  const app = await createBackendService(deps, {
    title: 'fixture',
    description: 'fixture',
    version: '0.0.0',
  });
  app.get('/api/me', { onRequest: app.authenticate }, async (request) => ({
    success: true,
    data: request.user,
  }));
  app.post('/api/me', { onRequest: app.authenticate }, async () => ({ success: true }));
  app.get('/api/admin/thing', { onRequest: [app.authenticate, app.requireAdmin] }, async () => ({
    success: true,
  }));
  app.get(
    '/api/items',
    { schema: { querystring: z.object({ page: z.coerce.number().int().min(1).default(1) }) } },
    async (request) => ({ success: true, data: { page: request.query.page } }),
  );
  app.post(
    '/api/items',
    { schema: { body: z.object({ title: z.string().min(1) }) } },
    async (request) => ({ success: true, data: request.body }),
  );
  app.get('/api/missing', async () => {
    throw new HttpError(404, 'Item not found');
  });
  app.get('/api/boom', async () => {
    throw new Error('secret internal detail');
  });
  app.get('/api/redis-down', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  });
  void errorText;
  return app;
}
