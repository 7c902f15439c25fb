import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseConfigShape, parseConfig, portVar } from '@conveyor/runtime/config';
import { authConfigShape, refuseDevelopmentSecret } from '@conveyor/service-kit/auth-config';
import { z } from 'zod';

/** The workspace's `apps/` folder, found from this file so `pnpm dev` works from any directory. */
export const defaultAppsDir = fileURLToPath(new URL('../../../apps', import.meta.url));

/** What `pnpm token` reads from the environment: only the signing secret and the environment. */
export const TokenConfigSchema = z
  .object({
    NODE_ENV: baseConfigShape.NODE_ENV,
    JWT_SECRET: authConfigShape.JWT_SECRET,
  })
  .superRefine(refuseDevelopmentSecret);

export type TokenConfig = z.output<typeof TokenConfigSchema>;

/**
 * What `pnpm dev` reads from the environment. Every default serves a developer's machine; the
 * end-to-end test moves every port with `PORT_OFFSET`, `SMTP_URL` and `MAIL_CATCHER_HTTP_PORT`.
 */
export const DevConfigSchema = z
  .object({
    NODE_ENV: baseConfigShape.NODE_ENV,
    REDIS_URL: baseConfigShape.REDIS_URL,
    DATABASE_URL: baseConfigShape.DATABASE_URL,
    JWT_SECRET: authConfigShape.JWT_SECRET,
    /**
     * Where the apps send mail. When nothing listens there, `pnpm dev` starts its mail catcher on it.
     * @defaultValue `smtp://127.0.0.1:1025`
     */
    SMTP_URL: z
      .url({ error: 'must be a URL (smtp:)' })
      .default('smtp://127.0.0.1:1025')
      .refine((value) => new URL(value).protocol === 'smtp:', { error: 'must use smtp:' }),
    /** Port of the mail catcher's web page and `GET /messages`. @defaultValue 1080 */
    MAIL_CATCHER_HTTP_PORT: portVar(1080),
    /** Messages the mail catcher keeps; older ones are dropped first. @defaultValue 200 */
    MAIL_CATCHER_MAX_MESSAGES: z.coerce.number().int().min(1).max(10_000).default(200),
    /**
     * Added to every app's `conveyor.port`, so a second system (the end-to-end test) runs beside
     * the developer's own. @defaultValue 0
     */
    PORT_OFFSET: z.coerce.number().int().min(0).max(60_000).default(0),
    /** Interface every app and the mail catcher listen on. @defaultValue `127.0.0.1` */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** Folder whose sub-folders are the apps to start. @defaultValue the workspace's `apps/` */
    APPS_DIR: z.string().min(1).default(defaultAppsDir),
    /** Milliseconds for every app's `/readyz` to answer 200. @defaultValue 60000 */
    READY_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(60_000),
    /** Milliseconds between SIGTERM and SIGKILL when stopping the apps. @defaultValue 10000 */
    STOP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /** Lifetime of the tokens in the banner. @defaultValue 43200 (12 hours) */
    DEV_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(43_200),
    /**
     * How the apps' pino lines are shown: `pretty` (one readable line each), `raw` (the JSON as
     * is) or `auto` (pretty on a terminal, raw otherwise). @defaultValue `auto`
     */
    DEV_LOG_FORMAT: z.enum(['auto', 'pretty', 'raw']).default('auto'),
    /**
     * Where the preview worker stores originals and previews, served by the gateway at `/media`.
     * @defaultValue `<os tmpdir>/conveyor/media`, the worker's own default
     */
    MEDIA_ROOT: z
      .string()
      .min(1)
      .default(join(tmpdir(), 'conveyor', 'media')),
  })
  .superRefine(refuseDevelopmentSecret);

export type DevConfig = z.output<typeof DevConfigSchema>;

export function loadTokenConfig(env: Record<string, string | undefined>): TokenConfig {
  return parseConfig(TokenConfigSchema, env);
}

export function loadDevConfig(env: Record<string, string | undefined>): DevConfig {
  return parseConfig(DevConfigSchema, env);
}

/**
 * The environment this process was started with. The apps inherit it (so a developer's
 * `LOG_LEVEL=debug pnpm dev` reaches them), with the system's own variables laid on top.
 */
export function inheritedEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}
