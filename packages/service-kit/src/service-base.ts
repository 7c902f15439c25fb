import type { DbHandle } from '@conveyor/db/client';
import { baseConfigShape, httpConfigShape, listVar, portVar } from '@conveyor/runtime/config';
import type { Redis } from 'ioredis';
import { createServiceApp, type ServiceApp } from './app.js';
import { authConfigShape, type AuthConfig } from './auth-config.js';
import authPlugin from './auth.js';
import healthRoutes from './health.js';
import openApi, { type OpenApiOptions } from './openapi.js';
import type { ServiceConfig, ServiceDeps } from './main.js';
import { createUserProvisioner } from './users.js';

// Re-exported so that the declarations of this module load auth's: apps compiled against dist/
// get `app.authenticate`, `app.requireAdmin` and `request.user` from its augmentations.
export type { AuthPluginOptions } from './auth.js';

export type BackendServiceConfig = ServiceConfig & AuthConfig & { CORS_ORIGINS: string[] };

/** Readiness of the two stores every backend service needs. */
export function storeChecks(db: DbHandle, redis: Redis) {
  return {
    postgres: () => db.sql`select 1`,
    redis: () => redis.ping(),
  };
}

/**
 * A backend service before its routes: the common app, health and metrics, its OpenAPI
 * document, and token verification with just-in-time user provisioning. Routes then add
 * `onRequest: app.authenticate` (and `app.requireAdmin`) themselves.
 */
export async function createBackendService<Config extends BackendServiceConfig>(
  deps: ServiceDeps<Config>,
  api: OpenApiOptions,
): Promise<ServiceApp> {
  const app = createServiceApp({ http: deps.config, logger: deps.logger, metrics: deps.metrics });
  await app.register(healthRoutes, {
    checks: storeChecks(deps.db, deps.redis),
    metrics: deps.metrics,
  });
  await app.register(openApi, api);
  const ensureUser = createUserProvisioner(deps.db.db);
  await app.register(authPlugin, {
    config: deps.config,
    allowedOrigins: deps.config.CORS_ORIGINS,
    onAuthenticated: (claims) => ensureUser(claims),
  });
  return app;
}

/**
 * The environment schema of a backend service; an app extends it with its own variables.
 * Production refuses the development JWT secret.
 */
export function backendServiceConfigShape(defaultPort: number) {
  return {
    ...baseConfigShape,
    ...httpConfigShape,
    ...authConfigShape,
    PORT: portVar(defaultPort),
    /** Browser origins allowed to call with cookies (CSRF allow-list). */
    CORS_ORIGINS: listVar(),
  };
}
