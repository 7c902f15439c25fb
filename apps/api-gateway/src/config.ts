import {
  baseConfigShape,
  httpConfigShape,
  listVar,
  parseConfig,
  portVar,
} from '@conveyor/runtime/config';
import { authConfigShape, refuseDevelopmentSecret } from '@conveyor/service-kit/auth-config';
import { z } from 'zod';

/**
 * An upstream service's origin. A path would be ignored by the proxy (the services serve the
 * full `/api/...` paths themselves), so one is refused rather than silently dropped.
 */
const upstreamUrl = (defaultValue: string) =>
  z
    .url({ error: 'must be a URL (http: or https:)' })
    .default(defaultValue)
    .refine(
      (value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol),
      {
        error: 'must use http: or https:',
      },
    )
    .refine(
      (value) => URL.canParse(value) && new URL(value).pathname === '/' && !new URL(value).search,
      {
        error: 'must be an origin without a path, e.g. http://127.0.0.1:3001',
      },
    )
    .transform((value) => new URL(value).origin);

const positiveInt = (defaultValue: number, min = 1) =>
  z.coerce.number().int().min(min).default(defaultValue);

/**
 * Browser origins allowed to call the API with credentials. `*` is refused: with credentials a
 * browser rejects a wildcard anyway, and the same list is the CSRF allow-list.
 */
const originList = listVar().refine(
  (origins) => origins.every((origin) => URL.canParse(origin) && new URL(origin).origin === origin),
  {
    error:
      'must be a comma-separated list of origins such as https://app.example.com (no path, no *)',
  },
);

export const ConfigSchema = z
  .object({
    /** `development`, `test` or `production`. @defaultValue `development` */
    NODE_ENV: baseConfigShape.NODE_ENV,
    /** pino level. @defaultValue `info` */
    LOG_LEVEL: baseConfigShape.LOG_LEVEL,
    /** Redis holding the rate-limit counters shared by every gateway instance. @defaultValue `redis://127.0.0.1:6379` */
    REDIS_URL: baseConfigShape.REDIS_URL,
    /** Milliseconds a graceful shutdown may take. @defaultValue 10000 */
    SHUTDOWN_TIMEOUT_MS: baseConfigShape.SHUTDOWN_TIMEOUT_MS,
    /** Listening port. @defaultValue 3000 */
    PORT: portVar(3000),
    /** Listening address. @defaultValue `127.0.0.1` */
    HOST: httpConfigShape.HOST,
    /** Bytes a request body may have; more is refused with 413 before it reaches a service. @defaultValue 1048576 */
    BODY_LIMIT_BYTES: httpConfigShape.BODY_LIMIT_BYTES,
    /** Milliseconds to receive a whole request from a client. @defaultValue 30000 */
    REQUEST_TIMEOUT_MS: httpConfigShape.REQUEST_TIMEOUT_MS,
    /** Milliseconds an idle client keep-alive connection stays open. @defaultValue 72000 */
    KEEP_ALIVE_TIMEOUT_MS: httpConfigShape.KEEP_ALIVE_TIMEOUT_MS,
    ...authConfigShape,
    /** notifications-svc, serving `/api/notifications`. @defaultValue `http://127.0.0.1:3001` */
    NOTIFICATIONS_URL: upstreamUrl('http://127.0.0.1:3001'),
    /** admin-jobs-svc, serving `/api/admin/jobs`. @defaultValue `http://127.0.0.1:3002` */
    ADMIN_JOBS_URL: upstreamUrl('http://127.0.0.1:3002'),
    /** webhooks-svc, serving `/api/jobs` and `/api/webhooks`. @defaultValue `http://127.0.0.1:3003` */
    WEBHOOKS_URL: upstreamUrl('http://127.0.0.1:3003'),
    /** Comma-separated browser origins allowed by CORS (with credentials) and by the CSRF check. @defaultValue empty */
    CORS_ORIGINS: originList,
    /** Milliseconds an upstream may take to send its response headers (a long poll: more, see LONG_POLL_MAX_MS), and between body chunks; then 504. @defaultValue 30000 */
    UPSTREAM_TIMEOUT_MS: positiveInt(30_000, 100),
    /**
     * Longest wait, in milliseconds, a long poll (`GET /api/jobs/:jobId/wait?timeout=`) may ask
     * for at the gateway; the service then has UPSTREAM_TIMEOUT_MS more to answer. Above
     * webhooks-svc's own limit (JOB_WAIT_MAX_SECONDS, at most 60 s), so that is the one a caller
     * meets. @defaultValue 65000
     */
    LONG_POLL_MAX_MS: positiveInt(65_000, 100),
    /** Milliseconds to open a connection to an upstream; then 502. @defaultValue 2000 */
    UPSTREAM_CONNECT_TIMEOUT_MS: positiveInt(2_000, 100),
    /** Multiplier applied to every rate limit (spec table and defaults), e.g. 1000 for benchmarks. @defaultValue 1 */
    RATE_LIMIT_SCALE: z.coerce.number().positive({ error: 'must be a number above 0' }).default(1),
    /**
     * What the limiter does when Redis does not answer: `open` lets the request through without
     * rate-limit headers (logged and counted), `closed` answers 503. @defaultValue `open`
     */
    RATE_LIMIT_ON_REDIS_DOWN: z
      .enum(['open', 'closed'], { error: 'must be open or closed' })
      .default('open'),
    /** Requests per minute per user for a GET/HEAD/OPTIONS endpoint the spec table does not list. @defaultValue 300 */
    RATE_LIMIT_DEFAULT_READ: positiveInt(300),
    /** Requests per minute per user for a POST/PUT/PATCH/DELETE endpoint the spec table does not list. @defaultValue 60 */
    RATE_LIMIT_DEFAULT_WRITE: positiveInt(60),
    /** Milliseconds the limiter waits for Redis before it applies RATE_LIMIT_ON_REDIS_DOWN. @defaultValue 500 */
    RATE_LIMIT_REDIS_TIMEOUT_MS: positiveInt(500, 10),
    /**
     * A directory the gateway serves read-only at MEDIA_PUBLIC_PATH: the preview worker's
     * MEDIA_ROOT, so `previewUrl`s work in development (`pnpm dev` sets it). Unset, nothing is
     * served; in production a CDN or the object store serves previews instead.
     */
    MEDIA_SERVE_ROOT: z.string().min(1).optional(),
    /** Where MEDIA_SERVE_ROOT is served, the path of the workers' MEDIA_PUBLIC_BASE_URL. @defaultValue `/media` */
    MEDIA_PUBLIC_PATH: z
      .string()
      .regex(/^\/[a-z0-9-]+$/, { error: 'must be one path segment such as /media' })
      .refine((path) => path !== '/api', { error: 'must not be /api' })
      .default('/media'),
  })
  .superRefine(refuseDevelopmentSecret);

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}

/** The process environment, read here and nowhere else; `main.ts` hands it to `loadOrExit`. */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
