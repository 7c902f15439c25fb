import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import type { Role } from '@conveyor/service-kit/claims';
import { signToken } from '@conveyor/service-kit/tokens';
import { freePort } from '@conveyor/test-harness/ports';
import { deleteKeysWithPrefix } from '@conveyor/test-harness/redis';
import { loadBenchConfig, processEnvironment, type BenchConfig } from './config.js';
import type { BenchContext } from './harness/context.js';
import type { RunningService } from './harness/processes.js';

/**
 * What the Conveyor benchmarks share: the apps' entry points, a database and a BullMQ prefix
 * of their own (removed when the benchmark ends), development tokens and the apps' common env.
 */

export type AppName =
  | 'api-gateway'
  | 'admin-jobs-svc'
  | 'notifications-svc'
  | 'webhooks-svc'
  | 'delivery-worker'
  | 'digest-worker'
  | 'webhook-worker'
  | 'preview-worker';

/** The entry point of an app, run as `pnpm dev` runs it (source conditions, tsx). */
export const appEntry = (app: AppName): string =>
  fileURLToPath(new URL(`../../apps/${app}/src/main.ts`, import.meta.url));

/** A fixture server of `src/fixtures/`. */
export const fixtureEntry = (file: string): string =>
  fileURLToPath(new URL(`fixtures/${file}`, import.meta.url));

export function benchConfig(): BenchConfig {
  return loadBenchConfig(processEnvironment());
}

/** A migrated database of the benchmark's own, cloned from the template; dropped at the end. */
export async function ownDatabase(ctx: BenchContext, config: BenchConfig): Promise<TestDatabase> {
  const database = await createTestDatabase(config.BENCH_POSTGRES_URL);
  ctx.defer(() => database.drop());
  return database;
}

/**
 * A BullMQ prefix of the benchmark's own (a Cluster hash tag, like the product's default);
 * every key under it is deleted at the end.
 */
export function ownPrefix(ctx: BenchContext, config: BenchConfig): string {
  const prefix = `{bench-${ctx.name}-${randomUUID().slice(0, 8)}}`;
  ctx.defer(() => deleteKeysWithPrefix(config.BENCH_REDIS_URL, prefix));
  return prefix;
}

/** A development token (the apps run with the development secret), valid for an hour. */
export function tokenFor(sub: string, role: Role, email?: string): string {
  return signToken(
    { sub, role, ...(email === undefined ? {} : { email }) },
    { secret: DEVELOPMENT_JWT_SECRET },
  );
}

/**
 * The env every app of a benchmark gets. `LOG_LEVEL=warn`: at `info` fastify writes two lines
 * per request and the logging would be what is measured.
 */
export function appEnv(
  config: BenchConfig,
  database: TestDatabase,
  prefix: string,
): Record<string, string> {
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_URL: config.BENCH_REDIS_URL,
    DATABASE_URL: database.url,
    BULL_PREFIX: prefix,
  };
}

/** An app of the workspace on `port`, with `env`, once its `/readyz` answers. */
export function startApp(
  ctx: BenchContext,
  app: AppName,
  env: Record<string, string>,
  port: number,
): Promise<RunningService> {
  return ctx.startService({
    entry: appEntry(app),
    env: { ...env, PORT: String(port) },
    readyUrl: `http://127.0.0.1:${port}/readyz`,
  });
}

type UpstreamVar = 'NOTIFICATIONS_URL' | 'ADMIN_JOBS_URL' | 'WEBHOOKS_URL';

/**
 * api-gateway on `port` in front of the `upstreams` a benchmark runs; the others point at a
 * port nothing listens on, since the run never calls them.
 */
export async function startGateway(
  ctx: BenchContext,
  env: Record<string, string>,
  options: {
    port: number;
    upstreams: Partial<Record<UpstreamVar, string>>;
    rateLimitScale: string;
  },
): Promise<RunningService> {
  const unused = `http://127.0.0.1:${await freePort()}`;
  return startApp(
    ctx,
    'api-gateway',
    {
      ...env,
      NOTIFICATIONS_URL: unused,
      ADMIN_JOBS_URL: unused,
      WEBHOOKS_URL: unused,
      ...options.upstreams,
      RATE_LIMIT_SCALE: options.rateLimitScale,
    },
    options.port,
  );
}
